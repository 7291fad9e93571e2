using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using MessagePack;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SignalEngine.Client.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on 127.0.0.1 whose answers the test scripts: for behaviour the engine cannot be made
/// to show on demand (a 503 then a 202, a connection cut after the body arrived, a feed that resumes).
/// Every request is recorded with its headers and body.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public static async Task<LoopbackServer> StartAsync(Func<HttpContext, RecordedRequest, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LoopbackServer? server = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var recorded = new RecordedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray());
            server!.Requests.Enqueue(recorded);
            await handler(context, recorded);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new LoopbackServer(app, new Uri(address));
        return server;
    }

    /// <summary>Answers like the engine would when it takes every event of the batch.</summary>
    public static Task AcceptAllAsync(HttpContext context, RecordedRequest request)
    {
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        return context.Response.WriteAsJsonAsync(new { accepted = request.EventIds().Count, duplicates = 0, rejected = Array.Empty<object>() });
    }

    public static Task RefuseAsync(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.RetryAfter = "0";
        return context.Response.WriteAsJsonAsync(new { error = "scripted refusal" });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    /// <summary>The <c>eventId</c>s of a MessagePack <c>{"events": [...]}</c> body, in order.</summary>
    public IReadOnlyList<string> EventIds()
    {
        var ids = new List<string>();
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(Body));
        var fields = reader.ReadMapHeader();
        for (var f = 0; f < fields; f++)
        {
            if (reader.ReadString() != "events")
            {
                reader.Skip();
                continue;
            }
            var count = reader.ReadArrayHeader();
            for (var i = 0; i < count; i++)
            {
                var keys = reader.ReadMapHeader();
                for (var k = 0; k < keys; k++)
                {
                    if (reader.ReadString() == "eventId") ids.Add(reader.ReadString()!);
                    else reader.Skip();
                }
            }
        }
        return ids;
    }
}
