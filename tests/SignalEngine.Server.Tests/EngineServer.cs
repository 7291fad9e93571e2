using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SignalEngine.Server.Hosting;

namespace SignalEngine.Server.Tests;

/// <summary>
/// The real engine (silo + Kestrel) on loopback ports chosen for this run, with an HTTP client that
/// carries the API key. Extra settings are passed as configuration, exactly like environment variables.
/// </summary>
public sealed class EngineServer : IAsyncDisposable
{
    public const string ApiKey = "test-key-0123456789abcdef";

    private readonly WebApplication _app;

    private EngineServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = NewClient();
    }

    public Uri BaseAddress { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<EngineServer> StartAsync(params (string Key, string Value)[] settings) => StartAsync(null, settings);

    /// <param name="customize">Replaces services before the host is built (e.g. the engine's clock).</param>
    public static async Task<EngineServer> StartAsync(Action<WebApplicationBuilder>? customize, params (string Key, string Value)[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--SIGNALENGINE_API_KEY={ApiKey}",
            $"--SIGNALENGINE_SILO_PORT={FreePort()}",
            $"--SIGNALENGINE_GATEWAY_PORT={FreePort()}",
            "--Logging:LogLevel:Default=Warning",
        };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        var app = EngineHost.Create([.. args], customize);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var server = new EngineServer(app, new Uri(address));
        await server.WaitUntilReadyAsync();
        return server;
    }

    public HttpClient NewClient(string? apiKey = ApiKey)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (apiKey is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return client;
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var response = await Http.GetAsync("/readyz");
            if (response.StatusCode == HttpStatusCode.OK) return;
            await Task.Delay(50);
        }
        throw new InvalidOperationException("the engine did not become ready within 30 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One engine shared by the tests of a class (each test uses its own workspace ids).</summary>
public sealed class EngineServerFixture : IAsyncLifetime
{
    public EngineServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await EngineServer.StartAsync(("SIGNALENGINE_MAX_BODY_BYTES", "262144"));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
