using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using SignalEngine.Client.Tests.Infrastructure;
using static SignalEngine.Client.Tests.Infrastructure.InProcessEngine;

namespace SignalEngine.Client.Tests;

/// <summary>The live play feed: against the real engine, and against a scripted feed for reconnect and resume.</summary>
public sealed class SubscriberTests(MemoryEngineFixture fixture) : IClassFixture<MemoryEngineFixture>
{
    [Fact]
    public async Task A_play_and_its_resolution_arrive_typed()
    {
        var engine = fixture.Engine;
        await using var client = engine.NewClient();
        var ws = NewWorkspace();
        await using var plays = PlayRecorder.Start(client, new PlayFilter { WorkspaceId = ws });
        await plays.Connected(1);

        // A limit hit 8 days ago fires expansion.usage_limit; today's usage moves event time on, out of its 7-day window: resolved.
        client.Track(ws, "u1", "limit.reached", new EventProperties { { "limit", "api_calls" } }, DateTimeOffset.UtcNow.AddDays(-8));
        await client.FlushAsync();
        var fired = await plays.NextAsync();
        client.Track(ws, "u1", "core.report_viewed");
        await client.FlushAsync();
        var resolved = await plays.NextAsync();

        Assert.Equal(PlayEventType.Fired, fired.Type);
        Assert.Equal(fired.Play.PlayId, fired.EventId);
        Assert.StartsWith("pl_", fired.Play.PlayId);
        Assert.Equal(ws, fired.Play.WorkspaceId);
        Assert.Equal("expansion.usage_limit", fired.Play.RuleId);
        Assert.Equal(PlayKind.Expansion, fired.Play.Kind);
        Assert.NotEqual(Severity.Unknown, fired.Play.Severity);
        Assert.Equal(OwnerRole.AccountManager, fired.Play.Owner.Role);
        Assert.Equal(PlayStatus.Open, fired.Play.Status);
        Assert.Contains("limit.reached", fired.Play.Evidence.Metric);
        Assert.Equal(1, fired.Play.Evidence.Value);
        Assert.False(string.IsNullOrEmpty(fired.Play.Title));
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow.AddDays(-8)), fired.Play.EpisodeStart);
        Assert.Null(fired.Play.ResolvedAt);

        Assert.Equal(PlayEventType.Resolved, resolved.Type);
        Assert.Equal(fired.Play.PlayId + ".resolved", resolved.EventId);
        Assert.Equal(fired.Play.PlayId, resolved.Play.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Play.Status);
        Assert.NotNull(resolved.Play.ResolvedAt);
        Assert.NotNull(resolved.Play.ResolvedEventTime);
    }

    [Fact]
    public async Task A_wrong_key_ends_the_subscription_with_an_error_instead_of_retrying()
    {
        await using var client = fixture.Engine.NewClient(apiKey: "not-the-key-0123456789");
        var error = await Assert.ThrowsAsync<SignalEngineException>(async () =>
        {
            await foreach (var _ in client.Plays(PlayFilter.All))
            {
            }
        });
        Assert.Equal(401, error.StatusCode);
    }

    [Fact]
    public async Task After_a_drop_it_reconnects_with_Last_Event_ID_and_never_yields_a_change_twice()
    {
        var connections = 0;
        await using var feed = await LoopbackServer.StartAsync(async (context, request) =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("retry: 3000\n: connected\n\n");
            switch (Interlocked.Increment(ref connections))
            {
                case 1:
                    await context.Response.WriteAsync(Frame("play", "pl_a", PlayJson("pl_a", "open")));
                    await context.Response.WriteAsync(": keep-alive\n\nevent: disconnect\ndata: {\"reason\":\"scripted slow consumer\"}\n\n");
                    return;
                case 2:
                    // A resuming engine replays from the last id it was sent; the repeat must not reach the caller.
                    await context.Response.WriteAsync(Frame("play", "pl_a", PlayJson("pl_a", "open")));
                    await context.Response.WriteAsync(Frame("play_resolved", "pl_a.resolved", PlayJson("pl_a", "resolved")));
                    await context.Response.WriteAsync(Frame("play", "pl_b", PlayJson("pl_b", "open", kind: "renewal")));
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                    return;
            }
        });
        await using var client = new SignalEngineClient(new SignalEngineClientOptions
        {
            BaseAddress = feed.BaseAddress,
            ApiKey = ApiKey,
            ReconnectBaseDelay = TimeSpan.FromMilliseconds(20),
        });
        await using var plays = PlayRecorder.Start(client, new PlayFilter { WorkspaceId = "acme", Kind = PlayKind.Expansion });

        var received = new[] { await plays.NextAsync(), await plays.NextAsync(), await plays.NextAsync() };

        Assert.Equal(["pl_a", "pl_a.resolved", "pl_b"], received.Select(p => p.EventId));
        Assert.Equal([PlayEventType.Fired, PlayEventType.Resolved, PlayEventType.Fired], received.Select(p => p.Type));
        Assert.Equal(PlayKind.Unknown, received[2].Play.Kind); // a kind newer than this client does not break it
        var requests = feed.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal("/v1/plays/stream?workspaceId=acme&kind=expansion", requests[0].PathAndQuery);
        Assert.False(requests[0].Headers.ContainsKey("Last-Event-ID"));
        Assert.Equal("pl_a", requests[1].Headers["Last-Event-ID"]);
        Assert.Contains(plays.States, s => !s.IsConnected && s.Reason!.Contains("scripted slow consumer"));
    }

    private static string Frame(string type, string id, string json) => $"id: {id}\nevent: {type}\ndata: {json}\n\n";

    private static string PlayJson(string id, string status, string kind = "expansion") =>
        $$"""{"playId":"{{id}}","workspaceId":"acme","ruleId":"expansion.seat_pressure","subject":null,"episodeStart":"2026-11-23","kind":"{{kind}}","severity":"medium","title":"Acme uses 92% of its seats","firedAt":"2026-11-23T10:15:02.4117+00:00","eventTime":"2026-11-23T10:15:02+00:00","owner":{"role":"account_manager","name":"Ari Gold"},"tier":1,"pod":"emea-1","segment":"mid-market","evidence":{"metric":"seat_utilisation_percent","value":92,"baseline":46,"limit":50,"threshold":90,"window":"28d","comparison":">=","detail":"46 of 50 seats active"},"health":{"score":89,"status":"green"},"status":"{{status}}","resolvedAt":null,"resolvedEventTime":null,"shadow":false}""";
}

/// <summary>Consumes <see cref="SignalEngineClient.Plays"/> in the background into a channel the test reads with a deadline.</summary>
public sealed class PlayRecorder : IAsyncDisposable
{
    private readonly Channel<PlayNotification> _plays = Channel.CreateUnbounded<PlayNotification>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PlayStreamStateChangedEventArgs> _states = [];
    private Task _run = Task.CompletedTask;

    public IReadOnlyList<PlayStreamStateChangedEventArgs> States
    {
        get { lock (_states) return [.. _states]; }
    }

    public static PlayRecorder Start(SignalEngineClient client, PlayFilter filter)
    {
        var recorder = new PlayRecorder();
        client.PlayStreamStateChanged += (_, state) =>
        {
            if (state.Filter == filter) lock (recorder._states) recorder._states.Add(state);
        };
        recorder._run = Task.Run(async () =>
        {
            try
            {
                await foreach (var play in client.Plays(filter, recorder._stop.Token)) recorder._plays.Writer.TryWrite(play);
                recorder._plays.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                recorder._plays.Writer.TryComplete(ex);
            }
        });
        return recorder;
    }

    /// <summary>Waits until the subscription has connected <paramref name="times"/> times: plays fired from then on reach it.</summary>
    public async Task Connected(int times, int seconds = 30)
    {
        await Poll.UntilAsync(() => States.Count(s => s.IsConnected) >= times, seconds);
        Assert.True(States.Count(s => s.IsConnected) >= times, $"the play subscription did not connect {times} time(s); states: {string.Join(", ", States.Select(s => s.IsConnected ? "up" : "down: " + s.Reason))}");
    }

    public async Task<PlayNotification> NextAsync(int seconds = 30)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            return await _plays.Reader.ReadAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"no play within {seconds} s; states: {string.Join(", ", States.Select(s => s.IsConnected ? "up" : "down: " + s.Reason))}");
        }
    }

    /// <summary>What arrived and was not read yet.</summary>
    public IReadOnlyList<PlayNotification> Unread()
    {
        var rest = new List<PlayNotification>();
        while (_plays.Reader.TryRead(out var play)) rest.Add(play);
        return rest;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }
}
