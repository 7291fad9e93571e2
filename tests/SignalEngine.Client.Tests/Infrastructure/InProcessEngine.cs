using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using SignalEngine.Server.Hosting;

namespace SignalEngine.Client.Tests.Infrastructure;

/// <summary>
/// The real engine (silo + Kestrel) in this process on loopback ports fixed at construction, so it can be
/// stopped and started again on the same address: what a client sees as a server restart.
/// </summary>
public sealed class InProcessEngine : IAsyncDisposable
{
    public const string ApiKey = "test-key-0123456789abcdef";

    private readonly string[] _args;
    private WebApplication? _app;

    public InProcessEngine(params (string Key, string Value)[] settings)
    {
        var port = FreePort();
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
        _args =
        [
            $"--urls=http://127.0.0.1:{port}",
            $"--SIGNALENGINE_API_KEY={ApiKey}",
            $"--SIGNALENGINE_SILO_PORT={FreePort()}",
            $"--SIGNALENGINE_GATEWAY_PORT={FreePort()}",
            "--Logging:LogLevel:Default=Warning",
            .. settings.Select(s => $"--{s.Key}={s.Value}"),
        ];
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public Uri BaseAddress { get; }

    /// <summary>The test's own view of the API, e.g. to read workspace metrics.</summary>
    public HttpClient Http { get; }

    public static async Task<InProcessEngine> StartNewAsync(params (string Key, string Value)[] settings)
    {
        var engine = new InProcessEngine(settings);
        await engine.StartAsync();
        return engine;
    }

    public async Task StartAsync()
    {
        if (_app is not null) throw new InvalidOperationException("already running");
        var app = EngineHost.Create(_args);
        await app.StartAsync();
        _app = app;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync("/readyz");
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the engine did not become ready within 60 s");
            await Task.Delay(50);
        }
    }

    public async Task StopAsync()
    {
        if (_app is not { } app) return;
        _app = null;
        await app.StopAsync();
        await app.DisposeAsync();
    }

    public SignalEngineClient NewClient(Action<SignalEngineClientOptions>? configure = null, string apiKey = ApiKey)
    {
        var options = new SignalEngineClientOptions { BaseAddress = BaseAddress, ApiKey = apiKey };
        configure?.Invoke(options);
        return new SignalEngineClient(options);
    }

    /// <summary>The workspace's <c>metrics.eventsApplied</c>; 0 while the engine does not know it.</summary>
    public async Task<long> EventsAppliedAsync(string workspaceId)
    {
        using var response = await Http.GetAsync($"/v1/workspaces/{workspaceId}");
        if (response.StatusCode == HttpStatusCode.NotFound) return 0;
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["metrics"]!["eventsApplied"]!.GetValue<long>();
    }

    /// <summary>
    /// Waits (stream delivery is asynchronous) until the workspace applied at least <paramref name="expected"/>
    /// events and returns the count, which the caller compares exactly: more would mean an event applied twice.
    /// </summary>
    public async Task<long> AppliedWhenAtLeastAsync(string workspaceId, long expected, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        long applied;
        while ((applied = await EventsAppliedAsync(workspaceId)) < expected && DateTime.UtcNow < deadline) await Task.Delay(50);
        return applied;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string NewWorkspace() => "ws-" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Http.Dispose();
    }
}

/// <summary>One memory-mode engine shared by the tests of a class (each test uses its own workspaces).</summary>
public sealed class MemoryEngineFixture : IAsyncLifetime
{
    /// <summary>Small enough that a batch of large events is refused (413) and must be split.</summary>
    public const int MaxBodyBytes = 128 * 1024;

    public InProcessEngine Engine { get; private set; } = null!;

    public async Task InitializeAsync() => Engine = await InProcessEngine.StartNewAsync(("SIGNALENGINE_MAX_BODY_BYTES", MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

public static class Poll
{
    /// <summary>Waits for a condition with a deadline (never asserts on timing: the caller asserts the state afterwards).</summary>
    public static async Task UntilAsync(Func<bool> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition() && DateTime.UtcNow < deadline) await Task.Delay(20);
    }
}
