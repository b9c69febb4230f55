using System.Net.Http.Headers;
using System.Text;
using Playback.Emulator;

namespace Playback.ChaosTests;

/// <summary>Commands posted to the emulator directly, behind Playback's back.</summary>
public static class RawCalls
{
    /// <summary>Posts one command with the emulator's credentials and returns the status.</summary>
    public static async Task<int> PostAsync(CallingEmulator emulator, string callId, string command, string controlId, string extraParams = "")
    {
        using var http = new HttpClient { BaseAddress = emulator.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{emulator.ProjectId}:{emulator.ApiToken}")));
        var body = $$$"""{"id":"{{{callId}}}","command":"{{{command}}}","params":{"control_id":"{{{controlId}}}"{{{extraParams}}}}}""";
        using var response = await http.PostAsync(CallingEmulator.CommandPath, new StringContent(body, Encoding.UTF8, "application/json"));
        return (int)response.StatusCode;
    }

    /// <summary>Starts an endless ringtone under <paramref name="controlId"/>.</summary>
    public static Task<int> PlayRingtoneAsync(CallingEmulator emulator, string callId, string controlId) =>
        PostAsync(emulator, callId, "calling.play", controlId, ""","play":[{"type":"ringtone","params":{"name":"us"}}]""");
}
