using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Akka.Hosting;
using Playback.Emulator;

namespace Playback.Hosting.Tests;

/// <summary>The API token and the signing key never reach a log line or a description.</summary>
public sealed class SecretsTests
{
    [Fact]
    public async Task Neither_the_api_token_nor_the_signing_key_is_logged_during_startup_plays_failures_and_rejected_webhooks()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new List<CapturedLog>();
        await using (var app = await PlaybackWebApp.StartAsync(emulator, o => o.MaxWebhookBodyBytes = 1024))
        {
            var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);
            await handle.PauseAsync();
            await handle.SetVolumeAsync(3);
            await handle.ResumeAsync();
            emulator.Faults.Set(new FaultPlan { Commands = [new CommandFaultRule { Command = "calling.play.stop", Status = 403, First = 1 }] });
            await Assert.ThrowsAsync<CallingApiException>(() => handle.StopAsync());
            await handle.StopAsync();
            var body = TestSupport.PlayWebhook(handle.CallId, handle.ControlId, "finished");
            var answers = new List<HttpStatusCode>();
            foreach (var request in new[]
            {
                TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, key: null, signedUrl: null),
                TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, "wrong-key", app.WebhookUrl),
                TestSupport.Webhook(PlaybackWebApp.WebhookPath, Encoding.UTF8.GetBytes("{not json"), emulator.SigningKey, app.WebhookUrl),
                TestSupport.Webhook(PlaybackWebApp.WebhookPath, new byte[4096], emulator.SigningKey, app.WebhookUrl),
                TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, emulator.SigningKey, app.WebhookUrl),
            })
            {
                using (request)
                {
                    answers.Add((await app.Http.SendAsync(request)).StatusCode);
                }
            }

            Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.NoContent], answers);
            await emulator.DrainWebhooksAsync(Eventually.Patience);
            logs.AddRange(app.Logs.Entries);
        }

        var failing = new CapturingLoggerProvider();
        var error = await TestSupport.StartupValidationErrorAsync(
            s => s.AddPlayback(o =>
            {
                o.UseEmulator(emulator);
                o.ProjectId = null;
                o.RequestTimeout = TimeSpan.Zero;
            }),
            failing);
        Assert.DoesNotContain(emulator.ApiToken, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(emulator.SigningKey, error.ToString(), StringComparison.Ordinal);

        logs.AddRange(failing.Entries);
        Assert.Contains(logs, l => l.Category.StartsWith("Playback", StringComparison.Ordinal) && l.Message.Contains("Playback starts", StringComparison.Ordinal));
        Assert.Contains(logs, l => l.Message.Contains("Webhook rejected", StringComparison.Ordinal));
        var text = logs.Text();
        Assert.DoesNotContain(emulator.ApiToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(emulator.SigningKey, text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes($"{emulator.ProjectId}:{emulator.ApiToken}")), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Neither_secret_is_logged_when_playback_runs_on_the_Akka_Hosting_ActorSystem()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var logs = new CapturingLoggerProvider();
        using (var host = await TestSupport.StartHostAsync(s => s.AddPlaybackOnAkka(emulator), logs))
        {
            var playback = host.Services.GetRequiredService<PlaybackManager>();
            var handle = await playback.PlayAsync(emulator.CreateCall(), [Media.Silence(1)]);
            await playback.HandleWebhookAsync("https://calls.example.com/signalwire/events", [], TestSupport.PlayWebhook(handle.CallId, handle.ControlId, "finished"));
            await host.StopAsync();
        }

        Assert.Contains(logs.Entries, l => l.Message.Contains("Playback starts on the host's ActorSystem", StringComparison.Ordinal));
        var text = logs.Entries.Text();
        Assert.DoesNotContain(emulator.ApiToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(emulator.SigningKey, text, StringComparison.Ordinal);
    }

    [Fact]
    public void PlaybackOptions_ToString_masks_the_api_token_and_the_signing_key()
    {
        var options = new PlaybackOptions { ProjectId = "project-1", ApiToken = "PT-secret-token", SigningKey = "PSK-secret-key", Space = "example" };

        var text = options.ToString();

        TestSupport.AssertEachNamed([text], "project-1", "example", "ApiToken = (set)", "SigningKey = (set)");
        Assert.All(new[] { "PT-secret-token", "PSK-secret-key" }, secret => Assert.DoesNotContain(secret, text, StringComparison.Ordinal));
        Assert.Contains("ApiToken = (not set)", new PlaybackOptions().ToString(), StringComparison.Ordinal);
    }
}
