using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>A raw HTTP client for the emulator: posts exact bodies and reads status and JSON back.</summary>
public sealed class EmulatorClient(CallingEmulator emulator) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = emulator.BaseUrl };

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string json, string? user = null, string? password = null) =>
        PostWithAuthorizationAsync(json, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? emulator.ProjectId}:{password ?? emulator.ApiToken}"))));

    /// <summary>Posts a body with exactly this Authorization header (none when null).</summary>
    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostWithAuthorizationAsync(string json, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, CallingEmulator.CommandPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = authorization;
        var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var body = string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
        return ((int)response.StatusCode, body, response);
    }

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PlayAsync(string callId, string controlId, string playJson = """[{"type":"silence","params":{"duration":1}}]""", string? statusUrl = null, string extra = "")
    {
        var status = statusUrl is null ? string.Empty : $",\"status_url\":\"{statusUrl}\"";
        return PostAsync($$$"""{"id":"{{{callId}}}","command":"calling.play","params":{"control_id":"{{{controlId}}}","play":{{{playJson}}}{{{status}}}{{{extra}}}}}""");
    }

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> ControlAsync(string callId, string command, string controlId, string extra = "") =>
        PostAsync($$$"""{"id":"{{{callId}}}","command":"{{{command}}}","params":{"control_id":"{{{controlId}}}"{{{extra}}}}}""");

    /// <summary>Dials a call (<c>command: "dial"</c>) and returns its id.</summary>
    public async Task<string> DialAsync(string? statusUrl = null)
    {
        var parameters = statusUrl is null ? "{}" : $$"""{"status_url":"{{statusUrl}}"}""";
        var (status, body, _) = await PostAsync($$"""{"command":"dial","params":{{parameters}}}""");
        if (status != 200)
        {
            throw new InvalidOperationException($"dial answered {status}: {body}");
        }

        return body.GetProperty("id").GetString()!;
    }

    /// <summary>Hangs a call up with <c>command: "end"</c>.</summary>
    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> EndAsync(string callId) =>
        PostAsync($$$"""{"id":"{{{callId}}}","command":"end","params":{}}""");

    /// <summary>Reads <c>GET /__emulator/journal</c>.</summary>
    public async Task<JsonElement> JournalAsync()
    {
        var text = await _http.GetStringAsync("/__emulator/journal");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public HttpClient Http => _http;

    public void Dispose() => _http.Dispose();
}
