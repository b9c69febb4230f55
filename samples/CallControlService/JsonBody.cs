using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;

/// <summary>Reads a small JSON request body: 413 over <see cref="MaxBytes"/>, 400 for anything that is not the expected JSON object.</summary>
internal static class JsonBody
{
    /// <summary>The largest body the control endpoints accept (a media list of a few hundred items fits).</summary>
    public const long MaxBytes = 16 * 1024;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>The body as <typeparamref name="T"/>, or the problem to answer instead.</summary>
    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, CancellationToken ct)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, Problems.TooLarge(MaxBytes));
        }

        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes + 1;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                {
                    return (null, Problems.TooLarge(MaxBytes));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, Problems.TooLarge(MaxBytes));
        }

        if (buffer.Length == 0)
        {
            return (null, Problems.BadRequest("The request needs a JSON body."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(buffer.ToArray(), Options);
            return value is null ? (null, Problems.BadRequest("The body must be a JSON object, not null.")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Problems.BadRequest("The body is not valid JSON for this endpoint: " + e.Message));
        }
    }
}

/// <summary>The body of <c>POST /calls/{callId}/play</c>: the media (nested or flat JSON form, see <see cref="Playback.MediaJson"/>) and play options.</summary>
internal sealed record PlayRequest(
    JsonElement? Media,
    double? Volume = null,
    int? Loop = null,
    string? ControlId = null,
    string? Direction = null,
    string? Language = null,
    string? Voice = null,
    string? Gender = null,
    string? WhenBusy = null);

/// <summary>The body of <c>POST /calls/{callId}/volume</c>.</summary>
internal sealed record VolumeRequest(double? Volume);

/// <summary>Turns a <see cref="PlayRequest"/> into Playback's types; what Playback itself validates (ranges, URLs, ids) is left to <c>PlayAsync</c>.</summary>
internal static class PlayRequests
{
    public static (IReadOnlyList<Playback.MediaItem> Media, Playback.PlayOptions Options)? Convert(PlayRequest request, out IResult? problem)
    {
        problem = null;
        if (request.Media is not { ValueKind: not JsonValueKind.Null } json)
        {
            problem = Problems.Invalid("media", "media is required: a media item or an array of them.");
            return null;
        }

        IReadOnlyList<Playback.MediaItem> media;
        try
        {
            media = Playback.MediaJson.Parse(json);
        }
        catch (JsonException e)
        {
            problem = Problems.Invalid("media", e.Message);
            return null;
        }

        if (!TryParse<Playback.PlayDirection>(request.Direction, "direction", out var direction, ref problem)
            || !TryParse<Playback.TtsGender>(request.Gender, "gender", out var gender, ref problem)
            || !TryParse<Playback.PlayConflict>(request.WhenBusy, "whenBusy", out var whenBusy, ref problem))
        {
            return null;
        }

        return (media, new Playback.PlayOptions
        {
            Volume = request.Volume,
            Loop = request.Loop,
            ControlId = request.ControlId,
            Direction = direction,
            Language = request.Language,
            Voice = request.Voice,
            Gender = gender,
            WhenBusy = whenBusy ?? Playback.PlayConflict.Enqueue,
        });
    }

    private static bool TryParse<TEnum>(string? value, string field, out TEnum? parsed, ref IResult? problem)
        where TEnum : struct, Enum
    {
        parsed = null;
        if (value is null)
        {
            return true;
        }

        if (Enum.TryParse<TEnum>(value, ignoreCase: true, out var v) && Enum.IsDefined(v) && !int.TryParse(value, out _))
        {
            parsed = v;
            return true;
        }

        problem = Problems.Invalid(field, $"{field} must be one of {string.Join(", ", Enum.GetNames<TEnum>())} (was \"{value}\").");
        return false;
    }
}
