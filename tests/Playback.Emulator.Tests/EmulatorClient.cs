using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Playback.Emulator.Tests;

/// <summary>A raw HTTP client for the emulator: posts exact bodies and reads status and JSON back.</summary>
public sealed class EmulatorClient(CallingEmulator emulator) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = emulator.BaseUrl };

    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string json, string? user = null, string? password = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, CallingEmulator.CommandPath) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user ?? emulator.ProjectId}:{password ?? emulator.ApiToken}")));
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

    public HttpClient Http => _http;

    public void Dispose() => _http.Dispose();
}
