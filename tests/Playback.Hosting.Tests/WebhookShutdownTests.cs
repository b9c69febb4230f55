using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Playback.Hosting.Tests;

/// <summary><c>MapPlaybackWebhooks</c> while the host shuts down: 503 (which SignalWire retries), never 500.</summary>
public sealed class WebhookShutdownTests
{
    [Fact]
    public async Task A_webhook_while_the_application_is_stopping_gets_503_and_changes_nothing()
    {
        await using var running = await Running.StartAsync();
        var (emulator, app, handle) = (running.Emulator, running.App, running.Handle);
        var accepted = app.Playback.Statistics.WebhooksAccepted;

        app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication(); // Kestrel keeps serving: the app was started, not run
        using var response = await app.Http.SendAsync(Signed(app, emulator, handle, "finished"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(accepted, app.Playback.Statistics.WebhooksAccepted);
        Assert.Equal(PlaybackState.Playing, handle.Current);
    }

    [Fact]
    public async Task A_webhook_whose_container_is_already_disposed_gets_503_not_500()
    {
        await using var running = await Running.StartAsync();
        var (emulator, app, handle) = (running.Emulator, running.App, running.Handle);
        // What a request meets when the host disposes its container under it: an application with the endpoint mapped
        // (never started, so not stopping), whose container is then disposed; the endpoint reads the manager from there.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder();
        builder.Services.AddPlayback(o =>
        {
            o.ProjectId = emulator.ProjectId;
            o.ApiToken = emulator.ApiToken;
            o.SigningKey = emulator.SigningKey;
            o.BaseUrl = emulator.BaseUrl.ToString();
            o.UseEnvironmentFallback = false;
        });
        var disposed = builder.Build();
        disposed.MapPlaybackWebhooks(PlaybackWebApp.WebhookPath);
        var endpoint = ((IEndpointRouteBuilder)disposed).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "PlaybackWebhooks");
        await ((IAsyncDisposable)disposed.Services).DisposeAsync();
        using var scope = app.Services.CreateScope();
        var context = await RequestAsync(app, emulator, handle, scope.ServiceProvider);

        await endpoint.RequestDelegate!(context);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
        Assert.Equal(PlaybackState.Playing, handle.Current);
    }

    [Fact]
    public async Task A_webhook_after_the_manager_was_disposed_gets_503_from_the_handler_itself()
    {
        await using var running = await Running.StartAsync();
        var (emulator, app, handle) = (running.Emulator, running.App, running.Handle);
        await app.Playback.DisposeAsync();
        using var scope = app.Services.CreateScope();
        var context = await RequestAsync(app, emulator, handle, scope.ServiceProvider);

        await Endpoint(app).RequestDelegate!(context);

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, context.Response.StatusCode);
    }

    [Fact]
    public async Task Webhooks_sent_while_the_host_stops_and_is_disposed_never_get_a_5xx_other_than_503()
    {
        await using var emulator = await TestSupport.StartEmulatorAsync();
        var app = await PlaybackWebApp.StartAsync(emulator);
        var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);
        var bodies = Enumerable.Range(0, 4).Select(_ => TestSupport.PlayWebhook(handle.CallId, handle.ControlId, "playing")).ToArray();
        using var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        using var stop = new CancellationTokenSource();
        var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
        var senders = bodies.Select(body => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.SendAsync(TestSupport.Webhook(PlaybackWebApp.WebhookPath, body, emulator.SigningKey, app.WebhookUrl));
                    statuses.Add((int)response.StatusCode);
                }
                catch (HttpRequestException)
                {
                    // Kestrel has stopped listening or closed the connection: what a sender sees after shutdown.
                }
            }
        })).ToArray();
        await Eventually.AssertAsync(() => Assert.True(statuses.Count >= 20, "the senders have not reached the endpoint yet"));

        await app.DisposeAsync(); // stops Kestrel (draining requests in flight), stops Playback, disposes the container
        await stop.CancelAsync();
        await Task.WhenAll(senders);

        Assert.All(statuses, s => Assert.True(s is 204 or 503, $"answered {s}"));
    }

    /// <summary>An emulator, the app with the endpoint mapped, and a call with an endless playback.</summary>
    private sealed record Running(Emulator.CallingEmulator Emulator, PlaybackWebApp App, PlaybackHandle Handle) : IAsyncDisposable
    {
        public static async Task<Running> StartAsync()
        {
            var emulator = await TestSupport.StartEmulatorAsync();
            var app = await PlaybackWebApp.StartAsync(emulator);
            var handle = await app.Playback.PlayAsync(emulator.CreateCall(), [Media.Ringtone("us")]);

            // The emulator's own "playing" webhook first, so that it cannot be counted as the test's webhook.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (app.Playback.Statistics.WebhooksAccepted == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.Equal(1, app.Playback.Statistics.WebhooksAccepted);
            return new Running(emulator, app, handle);
        }

        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Emulator.DisposeAsync();
        }
    }

    private static HttpRequestMessage Signed(PlaybackWebApp app, Emulator.CallingEmulator emulator, PlaybackHandle handle, string state) =>
        TestSupport.Webhook(PlaybackWebApp.WebhookPath, TestSupport.PlayWebhook(handle.CallId, handle.ControlId, state), emulator.SigningKey, app.WebhookUrl);

    private static RouteEndpoint Endpoint(PlaybackWebApp app) =>
        ((IEndpointRouteBuilder)app.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Single(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == "PlaybackWebhooks");

    /// <summary>The signed "finished" webhook as an <see cref="HttpContext"/> for the endpoint's request delegate, with the given request services.</summary>
    private static async Task<HttpContext> RequestAsync(PlaybackWebApp app, Emulator.CallingEmulator emulator, PlaybackHandle handle, IServiceProvider requestServices)
    {
        using var request = Signed(app, emulator, handle, "finished");
        var body = await request.Content!.ReadAsByteArrayAsync();
        var context = new DefaultHttpContext { RequestServices = requestServices };
        context.Request.Method = "POST";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(new Uri(app.BaseUrl).Authority);
        context.Request.Path = PlaybackWebApp.WebhookPath;
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body);
        foreach (var header in request.Headers)
        {
            context.Request.Headers[header.Key] = header.Value.ToArray();
        }

        context.Response.Body = new MemoryStream();
        return context;
    }
}
