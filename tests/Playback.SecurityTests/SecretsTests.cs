using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Akka.Configuration;
using Akka.Hosting;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Playback.Emulator;
using Playback.Hosting;
using Xunit.Abstractions;

namespace Playback.SecurityTests;

/// <summary>
/// The API token and the signing key never appear in what Playback shows: every log entry of the web app at every level
/// (Akka's included, through the hosting bridge), the Message and ToString() of every exception it throws, the webhook
/// endpoint's answers, the health check, and the ToString() of its settings and options, during failures of every kind.
/// The secrets are distinctive strings, searched for whole, by their random core, and in the encodings a leak would
/// likely take (Basic credentials, base64, hex).
/// </summary>
public sealed class SecretsTests(SecretsTests.Fixture fixture, ITestOutputHelper output) : IClassFixture<SecretsTests.Fixture>
{
    public const string ProjectId = "canary-project";
    public const string ApiToken = "PT-canary-api-token-6f1d2c9a8b7e4f30";
    public const string SigningKey = "PSK-canary-signing-key-3e8a7c1b9d2f4a65";
    public const string WrongApiToken = "PT-canary-wrong-token-0b5e9d7c3a1f8e24";

    private LoopbackStack Stack => fixture.Stack;

    /// <summary>Sets the emulator's fault plan to these rules, each for the play command.</summary>
    private void FailPlays(params CommandFaultRule[] rules) =>
        Stack.Emulator.Faults.Set(new FaultPlan { Commands = [.. rules.Select(r => r with { Command = "calling.play" })] });

    [Fact]
    public async Task A_wrong_api_token_answered_401_shows_neither_token_nor_key()
    {
        await using (var app = await SecurityStack.StartAppAsync(Stack.Emulator, fixture.Logs, o => o.ApiToken = WrongApiToken))
        {
            var playback = app.Services.GetRequiredService<PlaybackManager>();
            var e = await Assert.ThrowsAsync<CallingApiException>(() => playback.PlayAsync(Stack.Emulator.CreateCall(), [Media.Tts("Hello")]));
            Assert.Equal(401, e.StatusCode);
            fixture.Capture(e);
            fixture.Capture(playback.Statistics.ToString());
            fixture.Capture(await HealthAsync(app.Services));
            await app.StopAsync();
        }

        Assert.Contains(Stack.Emulator.Journal.Requests, r => r.Status == 401);
        AssertNoSecret();
    }

    [Fact]
    public async Task Server_errors_retries_and_dropped_connections_show_neither_token_nor_key()
    {
        var recovering = Stack.NewCall();
        var failing = Stack.NewCall();
        var dropped = Stack.NewCall();
        var notRetried = Stack.NewCall();
        FailPlays(
            new CommandFaultRule { CallId = recovering, Status = 503, RetryAfterSeconds = 0, First = 2 },
            new CommandFaultRule { CallId = failing, Status = 500 },
            new CommandFaultRule { CallId = dropped, DropConnection = true, First = 1 },
            new CommandFaultRule { CallId = notRetried, Status = 501 });
        try
        {
            var retried = await Stack.Playback.PlayAsync(recovering, [Media.Tts("after two 503s")]);
            var reconnected = await Stack.Playback.PlayAsync(dropped, [Media.Tts("after a dropped connection")]);
            var gaveUp = await Assert.ThrowsAsync<CallingApiException>(() => Stack.Playback.PlayAsync(failing, [Media.Tts("never")]));
            var final = await Assert.ThrowsAsync<CallingApiException>(() => Stack.Playback.PlayAsync(notRetried, [Media.Tts("never")]));
            Assert.Equal((500, 501), (gaveUp.StatusCode, final.StatusCode));
            fixture.Capture(gaveUp);
            fixture.Capture(final);
            fixture.Capture(retried.ToString() + " " + retried.Reason + " " + reconnected.Reason);
            fixture.Capture(Stack.Playback.Statistics.ToString());
            fixture.Capture(await HealthAsync(Stack.Services));
            Assert.True(Stack.Playback.Statistics.Retries >= 6, $"retries: {Stack.Playback.Statistics.Retries}");
        }
        finally
        {
            Stack.Emulator.Faults.Clear();
        }

        AssertNoSecret();
    }

    [Fact]
    public async Task Validation_state_and_call_gone_failures_show_neither_token_nor_key()
    {
        var gens = new PlayGenerators(Stack.PublicBaseUrl);
        var pcg = new PCG(17, 0x5EC7);
        var refused = 0;
        for (var i = 0; i < 300; i++)
        {
            var play = gens.AnyPlays.Generate(pcg, null!, out _);
            try
            {
                await Stack.Playback.PlayAsync("secrets-call-" + i, play.Media!, play.Options);
            }
            catch (Exception e) when (e is ArgumentException or PlaybackException)
            {
                refused++;
                fixture.Capture(e);
            }
        }

        var callId = Stack.NewCall();
        var live = await Stack.Playback.PlayAsync(callId, [Media.Silence(1)], new PlayOptions { Loop = 0 });
        fixture.Capture(await Assert.ThrowsAnyAsync<ArgumentException>(() => live.SetVolumeAsync(double.NaN)));
        fixture.Capture(await Assert.ThrowsAsync<PlaybackStateException>(() => Stack.Playback.PauseAsync(callId, "no-such-playback")));
        fixture.Capture(await Assert.ThrowsAsync<PlaybackStateException>(() => Stack.Playback.PlayAsync(callId, [Media.Tts("busy")], new PlayOptions { WhenBusy = PlayConflict.Reject })));
        fixture.Capture(await Assert.ThrowsAsync<PlaybackStateException>(() => Stack.Playback.PlayAsync(callId, [Media.Tts("same id")], new PlayOptions { ControlId = live.ControlId, WhenBusy = PlayConflict.Replace })));
        Stack.Emulator.EndCall(callId);
        fixture.Capture((await live.Completion.WaitAsync(Support.Patience)).ToString());
        fixture.Capture(await Assert.ThrowsAsync<CallGoneException>(() => Stack.Playback.PlayAsync(callId, [Media.Tts("gone")])));

        Assert.True(refused > 250, $"only {refused} plays refused");
        AssertNoSecret();
    }

    [Fact]
    public async Task Rejected_webhooks_show_neither_token_nor_key_nor_the_expected_signature()
    {
        var callId = Stack.NewCall();
        var live = await Stack.Playback.PlayAsync(callId, [Media.Silence(1)], new PlayOptions { Loop = 0 });
        var body = Encoding.UTF8.GetBytes(
            $$$"""{"event_type":"calling.call.play","params":{"call_id":"{{{callId}}}","control_id":"{{{live.ControlId}}}","state":"finished"}}""");
        var expected = Sign(body);
        var expectedSha1 = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(SigningKey), Encoding.UTF8.GetBytes(Stack.WebhookUrl).Concat(body).ToArray()));
        var rejectedBefore = Stack.Playback.Statistics.WebhooksRejected;
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        async Task PostAsync(byte[] content, params (string Name, string Value)[] headers)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Stack.WebhookUrl) { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            foreach (var (name, value) in headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await http.SendAsync(request);
            fixture.Capture($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.InRange((int)response.StatusCode, 400, 499);
        }

        await PostAsync(body);
        await PostAsync(body, ("X-SignalWire-SHA256-Signature", new string('0', 64)));
        await PostAsync(body, ("X-SignalWire-SHA256-Signature", expected[..^1] + (expected[^1] == '0' ? '1' : '0')));
        await PostAsync(body, ("X-SignalWire-Signature", expectedSha1[..^1] + (expectedSha1[^1] == '0' ? '1' : '0')));
        await PostAsync([.. body, (byte)' '], ("X-SignalWire-SHA256-Signature", expected));
        await PostAsync(body, ("X-SignalWire-SHA256-Signature", Sign(body, "https://attacker.example" + SecurityStack.WebhookPath)), ("X-Forwarded-Host", "attacker.example"), ("X-Forwarded-Proto", "https"), ("Host", "attacker.example"));
        foreach (var malformed in new[] { "{", "[]", "{\"event_type\":5}", "\u00ff\u00fe" })
        {
            var bytes = Encoding.UTF8.GetBytes(malformed);
            await PostAsync(bytes, ("X-SignalWire-SHA256-Signature", Sign(bytes)));
        }

        await PostAsync(new byte[PlaybackOptions.DefaultMaxWebhookBodyBytes + 1]);

        Assert.True(Stack.Playback.Statistics.WebhooksRejected - rejectedBefore >= 9);
        Assert.Equal(PlaybackState.Playing, live.Current);
        Assert.Contains(fixture.Logs.Lines, e => e.Contains("Webhook rejected", StringComparison.Ordinal));
        AssertNoSecret(extra: [expected, expectedSha1]);
    }

    [Fact]
    public async Task On_an_akka_hosting_actor_system_logging_at_debug_level_failures_show_neither_token_nor_key()
    {
        var logs = new CapturingLoggerProvider();
        var callId = Stack.NewCall();
        var failing = Stack.NewCall();
        FailPlays(new CommandFaultRule { CallId = callId, Status = 503, RetryAfterSeconds = 0, First = 1 }, new CommandFaultRule { CallId = failing, Status = 502 });
        try
        {
            await using var app = await SecurityStack.StartAppAsync(Stack.Emulator, logs, configure: null, services: s => s.AddAkka("secrets", akka => akka
                .AddHocon("akka.actor.debug { receive = on, autoreceive = on, lifecycle = on, unhandled = on, event-stream = on }\nakka.log-dead-letters = on", HoconAddMode.Prepend)
                .ConfigureLoggers(l => l.LogLevel = Akka.Event.LogLevel.DebugLevel)
                .WithPlayback()));
            var playback = app.Services.GetRequiredService<PlaybackManager>();
            var handle = await playback.PlayAsync(callId, [Media.Silence(1)], new PlayOptions { Loop = 0 });
            await handle.PauseAsync();
            await handle.SetVolumeAsync(-3);
            await handle.StopAsync();
            fixture.Capture(await Assert.ThrowsAsync<CallingApiException>(() => playback.PlayAsync(failing, [Media.Tts("never")])));
            var gone = Stack.NewCall();
            Stack.Emulator.EndCall(gone);
            fixture.Capture(await Assert.ThrowsAsync<CallGoneException>(() => playback.PlayAsync(gone, [Media.Tts("gone")])));
            fixture.Capture(await Assert.ThrowsAnyAsync<ArgumentException>(() => playback.PlayAsync(callId, [Media.Tts("x")], new PlayOptions { Volume = 99 })));
            fixture.Capture(await HealthAsync(app.Services));
            await app.StopAsync();
        }
        finally
        {
            Stack.Emulator.Faults.Clear();
        }

        var debug = logs.Lines.Count(e => e.StartsWith("[Debug] Akka.", StringComparison.Ordinal));
        output.WriteLine($"{logs.Lines.Count} log entries, {debug} of them Akka debug entries");
        Assert.True(debug > 10, $"only {debug} Akka debug entries were captured");
        foreach (var entry in logs.Lines)
        {
            fixture.Capture(entry);
        }

        AssertNoSecret();
    }

    [Fact]
    public async Task Options_validation_failing_at_startup_shows_neither_token_nor_key()
    {
        var broken = new Action<PlaybackOptions>[]
        {
            o => o.BaseUrl = "ftp://127.0.0.1/calling",
            o => o.BaseUrl = "http://calling.example.com",
            o =>
            {
                o.BaseUrl = null;
                o.Space = "not a host!";
            },
            o =>
            {
                o.ProjectId = null;
                o.PublicBaseUrl = "not a url";
                o.MaxWebhookBodyBytes = 0;
            },
            o =>
            {
                o.DefaultStatusUrl = "ftp://127.0.0.1/status";
                o.RequestTimeout = TimeSpan.Zero;
                o.AskTimeout = TimeSpan.FromSeconds(-1);
                o.SignaturePolicy = (WebhookSignaturePolicy)42;
            },
        };
        foreach (var configure in broken)
        {
            var e = await Assert.ThrowsAsync<OptionsValidationException>(() => SecurityStack.StartAppAsync(Stack.Emulator, fixture.Logs, configure));
            Assert.NotEmpty(e.Failures);
            fixture.Capture(e);
            fixture.Capture(string.Join(Environment.NewLine, e.Failures));
        }

        // The core settings' own check, and a HOCON config carrying both secrets.
        var settings = new PlaybackSettings { ProjectId = ProjectId, ApiToken = ApiToken, SigningKey = SigningKey, BaseUrl = new Uri("http://calling.example.com"), AskTimeout = TimeSpan.Zero };
        fixture.Capture(Assert.Throws<PlaybackConfigurationException>(settings.Validate));
        foreach (var bad in new[] { "base-url = \"ftp://x\"", "base-url = \"http://calling.example.com\"", "request-timeout = banana", "webhook-signature-policy = sometimes" })
        {
            var config = ConfigurationFactory.ParseString($"playback {{ project-id = {ProjectId}, api-token = \"{ApiToken}\", signing-key = \"{SigningKey}\", {bad} }}");
            fixture.Capture(Assert.Throws<PlaybackConfigurationException>(() => PlaybackSettings.FromConfig(config).Validate()));
        }
        AssertNoSecret();
    }

    [Fact]
    public void Settings_and_options_ToString_show_that_secrets_are_set_but_not_their_values()
    {
        var settings = new PlaybackSettings { ProjectId = ProjectId, ApiToken = ApiToken, SigningKey = SigningKey, BaseUrl = new Uri("https://example.signalwire.com") };
        var options = new PlaybackOptions { ProjectId = ProjectId, ApiToken = ApiToken, SigningKey = SigningKey, BaseUrl = "https://example.signalwire.com" };
        var fromHocon = PlaybackSettings.FromConfig(ConfigurationFactory.ParseString($"playback {{ project-id = {ProjectId}, api-token = \"{ApiToken}\", signing-key = \"{SigningKey}\", space = example }}"));
        var shown = new[]
        {
            settings.ToString(), (settings with { Space = "other" }).ToString(), options.ToString(), fromHocon.ToString(),
            Stack.Playback.Settings.ToString(), Stack.Services.GetRequiredService<IOptions<PlaybackOptions>>().Value.ToString(),
            options.ToSettings().ToString(),
        };
        foreach (var text in shown)
        {
            fixture.Capture(text);
            output.WriteLine(text);
            Assert.Contains("ApiToken = (set)", text, StringComparison.Ordinal);
            Assert.Contains("SigningKey = (set)", text, StringComparison.Ordinal);
        }

        AssertNoSecret();
    }

    private string Sign(byte[] body, string? url = null) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(SigningKey), Encoding.UTF8.GetBytes(url ?? Stack.WebhookUrl).Concat(body).ToArray()));

    private static async Task<string> HealthAsync(IServiceProvider services)
    {
        var report = await services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return string.Join(Environment.NewLine, report.Entries.Select(e =>
            $"{e.Key}: {e.Value.Status} {e.Value.Description} {e.Value.Exception} " + string.Join(", ", e.Value.Data.Select(d => $"{d.Key}={d.Value}"))));
    }

    /// <summary>Asserts that nothing captured so far (logs, exceptions, answers) holds a secret in any of its forms.</summary>
    private void AssertNoSecret(params string[] extra)
    {
        var texts = fixture.Logs.Lines.Concat(fixture.Captured).ToList();
        Assert.NotEmpty(fixture.Logs.Lines);
        output.WriteLine($"{texts.Count} texts checked ({fixture.Logs.Lines.Count} log entries, {fixture.Logs.Lines.Count(e => e.Contains("] Akka.", StringComparison.Ordinal))} of them from Akka)");
        var forms = Forms(ApiToken).Concat(Forms(SigningKey)).Concat(Forms(WrongApiToken)).Concat(extra).ToList();
        foreach (var text in texts)
        {
            foreach (var form in forms)
            {
                Assert.False(text.Contains(form, StringComparison.OrdinalIgnoreCase), $"a secret ({form}) appears in: {text}");
            }
        }
    }

    /// <summary>The secret, its random core, and the encodings a leak would likely take.</summary>
    private static IEnumerable<string> Forms(string secret)
    {
        var bytes = Encoding.UTF8.GetBytes(secret);
        yield return secret;
        yield return secret[^16..];
        yield return Convert.ToBase64String(bytes);
        yield return Convert.ToHexString(bytes);
        yield return Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ProjectId}:{secret}"));
        yield return Uri.EscapeDataString(secret);
    }

    /// <summary>The loopback stack with distinctive credentials (the emulator checks the same token and signs with the same key), and everything captured.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        private readonly ConcurrentQueue<string> _captured = new();

        public LoopbackStack Stack { get; private set; } = null!;

        public CapturingLoggerProvider Logs => Stack.Logs!;

        public IReadOnlyCollection<string> Captured => _captured;

        public void Capture(string text) => _captured.Enqueue(text);

        public void Capture(Exception e)
        {
            _captured.Enqueue(e.Message);
            _captured.Enqueue(e.ToString());
            if (e is CallingApiException api)
            {
                _captured.Enqueue(api.ServerMessage ?? string.Empty);
                _captured.Enqueue(string.Join("; ", api.Errors));
            }
        }

        public async Task InitializeAsync() =>
            Stack = await SecurityStack.StartAsync(new EmulatorOptions { Speed = 20, ProjectId = ProjectId, ApiToken = ApiToken, SigningKey = SigningKey });

        public async Task DisposeAsync()
        {
            if (Stack is not null)
            {
                await Stack.DisposeAsync();
            }
        }
    }
}
