using System.Net;
using Microsoft.AspNetCore.Http;
using SignalEngine.Client.Tests.Infrastructure;

namespace SignalEngine.Client.Tests;

/// <summary>Retries and the full-buffer policies, against a scripted loopback server or a closed port (the engine down).</summary>
public sealed class DeliveryTests
{
    private static SignalEngineClient NewClient(Uri address, Action<SignalEngineClientOptions>? configure = null)
    {
        var options = new SignalEngineClientOptions
        {
            BaseAddress = address,
            ApiKey = InProcessEngine.ApiKey,
            RetryBaseDelay = TimeSpan.FromMilliseconds(20),
            MaxRetryDelay = TimeSpan.FromMilliseconds(200),
            MaxLinger = TimeSpan.FromMilliseconds(20),
        };
        configure?.Invoke(options);
        return new SignalEngineClient(options);
    }

    /// <summary>Nothing listens there: every attempt is refused, as when the engine is down.</summary>
    private static Uri DeadAddress() => new($"http://127.0.0.1:{InProcessEngine.FreePort()}/");

    [Fact]
    public async Task A_503_and_a_429_are_retried_with_the_very_same_batch()
    {
        var answered = 0;
        await using var server = await LoopbackServer.StartAsync((context, request) => Interlocked.Increment(ref answered) switch
        {
            1 => LoopbackServer.RefuseAsync(context, 503),
            2 => LoopbackServer.RefuseAsync(context, 429),
            _ => LoopbackServer.AcceptAllAsync(context, request),
        });
        await using var client = NewClient(server.BaseAddress, o => o.MaxLinger = TimeSpan.FromSeconds(5));
        var ids = Enumerable.Range(0, 25).Select(i => client.Track("acme", $"u{i}", "core.report_viewed")).ToList();
        await client.FlushAsync();

        var requests = server.Requests.ToArray();
        Assert.Equal(3, requests.Length);
        Assert.Equal(ids, requests[0].EventIds());
        Assert.All(requests, r => Assert.Equal(requests[0].Body, r.Body));
        Assert.All(requests, r => Assert.Equal("Bearer " + InProcessEngine.ApiKey, r.Headers["Authorization"]));
        Assert.All(requests, r => Assert.Equal("application/x-msgpack", r.Headers["Content-Type"]));
        var stats = client.Stats;
        Assert.Equal((2L, 3L, 25L, 25L), (stats.Retries, stats.Requests, stats.Sent, stats.Accepted));
    }

    [Fact]
    public async Task A_connection_cut_after_the_engine_took_the_batch_is_retried_and_comes_back_as_duplicates()
    {
        var seen = new HashSet<string>();
        await using var server = await LoopbackServer.StartAsync((context, request) =>
        {
            // Like the engine: remember ids, count repeats as duplicates.
            var ids = request.EventIds();
            int fresh;
            lock (seen) fresh = ids.Count(seen.Add);
            if (fresh > 0)
            {
                context.Abort(); // the batch landed but the answer is lost: the client cannot know
                return Task.CompletedTask;
            }
            context.Response.StatusCode = 202;
            return context.Response.WriteAsJsonAsync(new { accepted = fresh, duplicates = ids.Count - fresh, rejected = Array.Empty<object>() });
        });
        await using var client = NewClient(server.BaseAddress, o => o.MaxLinger = TimeSpan.FromSeconds(5)); // one batch, sent by the flush
        for (var i = 0; i < 10; i++) client.Track("acme", "u1", "core.report_viewed");
        await client.FlushAsync();

        var requests = server.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(requests[0].Body, requests[1].Body);
        var stats = client.Stats;
        Assert.Equal((1L, 10L, 0L, 10L), (stats.Retries, stats.Sent, stats.Accepted, stats.Duplicates));
    }

    [Fact]
    public async Task DropOldest_keeps_the_buffer_bounded_while_the_engine_is_down_and_counts_what_it_dropped()
    {
        await using var client = NewClient(DeadAddress(), o =>
        {
            o.BufferFullPolicy = BufferFullPolicy.DropOldest;
            o.BufferCapacity = 50;
            o.MaxBatchEvents = 10;
            o.DisposeTimeout = TimeSpan.Zero;
        });
        for (var i = 0; i < 1000; i++) client.Track("acme", "u1", "core.report_viewed");

        var stats = client.Stats;
        Assert.Equal(1000, stats.Tracked);
        Assert.InRange(stats.Buffered, 1, 50 + 10);
        Assert.Equal(1000, stats.Dropped + stats.Buffered);
        Assert.Equal(0, stats.Sent);

        await client.DisposeAsync();
        Assert.Equal(stats.Buffered, client.Stats.Abandoned);
    }

    [Fact]
    public async Task FailFast_throws_once_the_buffer_is_full()
    {
        await using var client = NewClient(DeadAddress(), o =>
        {
            o.BufferFullPolicy = BufferFullPolicy.FailFast;
            o.BufferCapacity = 20;
            o.MaxBatchEvents = 5;
            o.DisposeTimeout = TimeSpan.Zero;
        });
        BufferFullException? full = null;
        for (var i = 0; i < 1000 && full is null; i++)
        {
            try
            {
                client.Track("acme", "u1", "core.report_viewed");
            }
            catch (BufferFullException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Equal(20, full.Capacity);
        Assert.InRange(client.Stats.Tracked, 20, 20 + 5);
        Assert.Equal(0, client.Stats.Dropped);
    }

    [Fact]
    public async Task Block_makes_Track_wait_until_the_engine_takes_events_and_loses_nothing()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await LoopbackServer.StartAsync((context, request) =>
            open.Task.IsCompleted ? LoopbackServer.AcceptAllAsync(context, request) : LoopbackServer.RefuseAsync(context, 503));
        await using var client = NewClient(server.BaseAddress, o =>
        {
            o.BufferFullPolicy = BufferFullPolicy.Block;
            o.BufferCapacity = 5;
            o.MaxBatchEvents = 5;
            o.MaxLinger = TimeSpan.FromSeconds(30); // the sender holds exactly the first 5 as one batch
        });
        var tracked = new List<string>();
        for (var i = 0; i < 5; i++) tracked.Add(client.Track("acme", "u1", "core.report_viewed"));
        await Poll.UntilAsync(() => client.Stats.Requests >= 1); // that batch is held by the sender, refused
        for (var i = 0; i < 5; i++) tracked.Add(await client.TrackAsync("acme", "u1", "core.report_viewed")); // fills the buffer

        var blocked = client.TrackAsync("acme", "u1", "core.report_viewed").AsTask();
        var requestsBefore = client.Stats.Requests;
        await Poll.UntilAsync(() => client.Stats.Requests >= requestsBefore + 3); // the engine keeps refusing...
        Assert.False(blocked.IsCompleted); // ...and Track keeps waiting

        open.SetResult();
        tracked.Add(await blocked.WaitAsync(TimeSpan.FromSeconds(30)));
        await client.FlushAsync();

        var delivered = server.Requests.Where(r => r.Body.Length > 0).SelectMany(r => r.EventIds()).Distinct().ToList();
        Assert.Equal(tracked.Order(), delivered.Order());
        Assert.Equal((11L, 11L, 0L), (client.Stats.Tracked, client.Stats.Accepted, client.Stats.Dropped));
    }

    [Fact]
    public async Task A_synchronous_Track_gives_up_waiting_after_BlockTimeout()
    {
        await using var client = NewClient(DeadAddress(), o =>
        {
            o.BufferCapacity = 2;
            o.MaxBatchEvents = 1;
            o.MaxLinger = TimeSpan.Zero;
            o.BlockTimeout = TimeSpan.FromMilliseconds(200);
            o.DisposeTimeout = TimeSpan.Zero;
        });
        var error = Assert.Throws<BufferFullException>(() =>
        {
            for (var i = 0; i < 100; i++) client.Track("acme", "u1", "core.report_viewed");
        });
        Assert.Contains("BlockTimeout", error.Message);
    }

    [Fact]
    public async Task Flush_times_out_while_the_engine_is_down_and_dispose_counts_what_it_abandons()
    {
        var client = NewClient(DeadAddress(), o => o.DisposeTimeout = TimeSpan.FromMilliseconds(200));
        for (var i = 0; i < 7; i++) client.Track("acme", "u1", "core.report_viewed");

        await Poll.UntilAsync(() => client.Stats.Retries > 0);
        Assert.True(client.Stats.Retries > 0);
        await Assert.ThrowsAsync<TimeoutException>(() => client.FlushAsync(TimeSpan.FromMilliseconds(300)));

        await client.DisposeAsync();
        Assert.Equal((7L, 0L, 0L), (client.Stats.Abandoned, client.Stats.Sent, client.Stats.Buffered));
    }

    [Fact]
    public async Task A_retry_after_the_engine_comes_back_delivers_everything_it_buffered()
    {
        // The engine "down" (503s) for the first attempts, then up: nothing buffered meanwhile is lost.
        var attempts = 0;
        await using var server = await LoopbackServer.StartAsync((context, request) =>
            Interlocked.Increment(ref attempts) <= 4 ? LoopbackServer.RefuseAsync(context, (int)HttpStatusCode.ServiceUnavailable) : LoopbackServer.AcceptAllAsync(context, request));
        await using var client = NewClient(server.BaseAddress, o => o.MaxBatchEvents = 7);
        var ids = Enumerable.Range(0, 50).Select(_ => client.Track("acme", "u1", "core.report_viewed")).ToList();
        await client.FlushAsync();

        var accepted = server.Requests.Skip(4).SelectMany(r => r.EventIds()).ToList();
        Assert.Equal(ids, accepted);
        Assert.All(server.Requests, r => Assert.InRange(r.EventIds().Count, 1, 7));
    }
}
