using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;

namespace Playback.Emulator;

// The HTTP side: the routes (the command path and the /__emulator control endpoints), authentication, journaling and fault injection.
public sealed partial class CallingEmulator
{
    private void Map(WebApplication app)
    {
        app.MapPost(CommandPath, HandleCommandAsync);
        app.MapGet("/__emulator/journal", () => Results.Json(new { requests = Journal.Requests, webhooks = Journal.Webhooks, arrivals = Journal.Arrivals, overlaps = Journal.Overlaps }, Json));
        app.MapDelete("/__emulator/journal", () =>
        {
            Journal.Clear();
            return Results.NoContent();
        });
        app.MapGet("/__emulator/faults", () => Results.Json(new { plan = Faults.Plan, injected = Faults.Injected }, Json));
        app.MapPut("/__emulator/faults", async (HttpContext context) =>
        {
            try
            {
                var plan = await JsonSerializer.DeserializeAsync<FaultPlan>(context.Request.Body, Json, context.RequestAborted).ConfigureAwait(false);
                Faults.Set(plan ?? new FaultPlan());
                return Results.NoContent();
            }
            catch (Exception e) when (e is JsonException or ArgumentException)
            {
                return Results.Json(new { error = e.Message }, Json, statusCode: 400);
            }
        });
        app.MapDelete("/__emulator/faults", () =>
        {
            Faults.Clear();
            return Results.NoContent();
        });
        app.MapPost("/__emulator/calls", async (HttpContext context) =>
        {
            string? statusUrl = null;
            if (context.Request.ContentLength is > 0)
            {
                try
                {
                    using var doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("status_url", out var u) && u.ValueKind == JsonValueKind.String)
                    {
                        statusUrl = u.GetString();
                    }
                }
                catch (JsonException)
                {
                    return Results.Json(new { error = "Bad Request" }, Json, statusCode: 400);
                }
            }

            return Results.Json(new { id = CreateCall(statusUrl) }, Json, statusCode: 201);
        });
        app.MapDelete("/__emulator/calls/{id}", (string id) => EndCall(id) ? Results.NoContent() : Results.NotFound());
        app.MapGet("/__emulator/calls/{id}/plays", (string id) => Results.Json(GetPlays(id), Json));
    }

    private async Task HandleCommandAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(body);
        if (!Authorized(context.Request))
        {
            Journal.Add(new JournalRequest(Options.Clock.GetUtcNow(), null, null, null, text, 401, null));
            await WriteAsync(context, 401, new { error = "Unauthorized" }).ConfigureAwait(false);
            return;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            Journal.Add(new JournalRequest(Options.Clock.GetUtcNow(), null, null, null, text, 400, null));
            await WriteAsync(context, 400, new { error = "Bad Request" }).ConfigureAwait(false);
            return;
        }

        using (doc)
        {
            var (callId, commandName, controlId) = Peek(doc.RootElement);
            var traceparent = context.Request.Headers["traceparent"].ToString();
            Journal.Add(new JournalArrival(Options.Clock.GetUtcNow(), callId, commandName, controlId, traceparent.Length > 0 ? traceparent : null));
            var call = callId is null ? null : _engine.FindCall(callId);
            if (call is not null && Interlocked.Increment(ref call.InFlight) > 1)
            {
                Journal.Overlap();
            }

            var released = 0;
            void Release()
            {
                if (call is not null && Interlocked.Exchange(ref released, 1) == 0)
                {
                    Interlocked.Decrement(ref call.InFlight);
                }
            }

            try
            {
                await ProcessAsync(context, doc.RootElement, text, callId, commandName, controlId, Release).ConfigureAwait(false);
            }
            finally
            {
                Release();
            }
        }
    }

    // `release` frees the call's in-flight slot once the request is decided: before its answer is written, and before a
    // dropped connection is aborted (the client sees the reset at once and may retry before this handler has returned,
    // which is not two requests in flight from its point of view).
    private async Task ProcessAsync(HttpContext context, JsonElement root, string text, string? callId, string? commandName, string? controlId, Action release)
    {
        var (command, errors) = _parser.Parse(root);
        var fault = command is null ? null : Faults.ForCommand(command.Name, command.CallId);
        var faultText = fault is null ? null : Describe(fault);
        if (fault?.LatencyMs is { } latency)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(latency), Options.Clock, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The client gave up during the injected latency: nothing was applied.
                Log(commandName, callId, controlId, 0, faultText + ", client disconnected");
                Journal.Add(new JournalRequest(Options.Clock.GetUtcNow(), callId, commandName, controlId, text, 0, faultText + ", client disconnected"));
                return;
            }
        }

        int status;
        object response;
        if (command is null)
        {
            (status, response) = (422, CallingEngine.Errors([.. errors]));
        }
        else if (fault is not null && (fault.Status is not null || fault.DropConnection) && !fault.AfterApply)
        {
            (status, response) = (0, new { });
        }
        else
        {
            (status, response) = _engine.Execute(command);
        }

        if (fault is not null && (fault.Status is not null || fault.DropConnection))
        {
            if (fault.DropConnection)
            {
                Log(commandName, callId, controlId, 0, faultText);
                Journal.Add(new JournalRequest(Options.Clock.GetUtcNow(), callId, commandName, controlId, text, 0, faultText));
                release();
                context.Abort();
                return;
            }

            status = fault.Status!.Value;
            response = new { error = ReasonPhrases.GetReasonPhrase(status) };
            if (fault.RetryAfterSeconds is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            else if (fault.RetryAfterDate is { } date)
            {
                context.Response.Headers.RetryAfter = date.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        Log(commandName, callId, controlId, status, faultText);
        Journal.Add(new JournalRequest(Options.Clock.GetUtcNow(), callId, commandName, controlId, text, status, faultText));
        // Answered: the slot is free before the answer is written. A client that reads the answer can send the call's next
        // request before this handler's write has returned; that is one request after another, not two in flight.
        release();
        await WriteAsync(context, status, response).ConfigureAwait(false);
    }

    private void Log(string? command, string? callId, string? controlId, int status, string? fault) =>
        _log.LogInformation("{Command} call={CallId} control={ControlId} -> {Status}{Fault}", command ?? "(none)", callId, controlId, status == 0 ? "dropped" : status.ToString(System.Globalization.CultureInfo.InvariantCulture), fault is null ? string.Empty : $" (fault: {fault})");

    private static string Describe(CommandFaultRule fault) => string.Join(", ", new[]
    {
        fault.Status is { } s ? $"status {s}" : null,
        fault.DropConnection ? "drop" : null,
        fault.LatencyMs is { } l ? $"latency {l} ms" : null,
        fault.AfterApply ? "after apply" : null,
    }.Where(x => x is not null));

    private static (string? CallId, string? Command, string? ControlId) Peek(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, null, null);
        }

        static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var controlId = root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object ? Str(p, "control_id") : null;
        return (Str(root, "id"), Str(root, "command"), controlId);
    }

    private bool Authorized(HttpRequest request)
    {
        var given = Encoding.UTF8.GetBytes(request.Headers.Authorization.ToString());
        return CryptographicOperations.FixedTimeEquals(given, _expectedAuth);
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted).ConfigureAwait(false);
        return buffer.ToArray();
    }

    private static Task WriteAsync(HttpContext context, int status, object body)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, Json, context.RequestAborted);
    }
}
