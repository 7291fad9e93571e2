using System.Collections.Concurrent;
using SignalEngine.Client.Tests.Infrastructure;
using static SignalEngine.Client.Tests.Infrastructure.InProcessEngine;

namespace SignalEngine.Client.Tests;

/// <summary>The producer against the real engine (memory mode).</summary>
public sealed class ProducerTests(MemoryEngineFixture fixture) : IClassFixture<MemoryEngineFixture>
{
    private InProcessEngine Engine => fixture.Engine;

    [Fact]
    public async Task Many_tracks_go_out_in_few_requests_and_every_event_is_applied_once()
    {
        await using var client = Engine.NewClient();
        string[] workspaces = [NewWorkspace(), NewWorkspace(), NewWorkspace()];
        var perWorkspace = new int[workspaces.Length];
        for (var i = 0; i < 3000; i++)
        {
            var w = i % workspaces.Length;
            client.Track(workspaces[w], $"u{i % 17}", i % 5 == 0 ? "module.workflows.run" : "core.report_viewed",
                new EventProperties { { "seq", i }, { "source", "test" }, { "beta", i % 2 == 0 } });
            perWorkspace[w]++;
        }
        await client.FlushAsync();

        var stats = client.Stats;
        Assert.Equal(3000, stats.Tracked);
        Assert.Equal(3000, stats.Sent);
        Assert.Equal(3000, stats.Accepted);
        Assert.Equal(0, stats.Duplicates + stats.Rejected + stats.Dropped + stats.Buffered);
        // Batches of up to 500: a handful of requests, not one per event.
        Assert.InRange(stats.Requests, 6, 3000 / 20);
        for (var w = 0; w < workspaces.Length; w++)
            Assert.Equal(perWorkspace[w], await Engine.AppliedWhenAtLeastAsync(workspaces[w], perWorkspace[w]));
    }

    [Fact]
    public async Task Rejected_events_are_reported_by_id_and_the_others_applied()
    {
        await using var client = Engine.NewClient();
        var rejected = new ConcurrentBag<RejectedEvent>();
        client.EventsRejected += (_, e) => { foreach (var r in e.Events) rejected.Add(r); };
        var ws = NewWorkspace();

        client.Track(ws, "u1", "core.report_viewed");
        var badName = client.Track(ws, "u1", "core report viewed");
        var tooOld = client.Track(ws, "u2", "core.report_viewed", timestamp: DateTimeOffset.UtcNow.AddDays(-200));
        client.Track(ws, "u2", "limit.reached", new EventProperties { { "limit", "api_calls" } });
        await client.FlushAsync();

        Assert.Equal(new[] { badName, tooOld }.Order(), rejected.Select(r => r.EventId).Order());
        Assert.StartsWith("name:", rejected.Single(r => r.EventId == badName).Error);
        Assert.StartsWith("timestamp:", rejected.Single(r => r.EventId == tooOld).Error);
        Assert.All(rejected, r => Assert.Equal(ws, r.WorkspaceId));
        var stats = client.Stats;
        Assert.Equal((2, 2, 4), (stats.Accepted, stats.Rejected, stats.Sent));
        Assert.Equal(2, await Engine.AppliedWhenAtLeastAsync(ws, 2));
    }

    [Fact]
    public async Task Dispose_sends_what_is_still_buffered()
    {
        var ws = NewWorkspace();
        // Batches would wait a minute to fill: only dispose makes them go.
        await using (var client = Engine.NewClient(o => { o.MaxLinger = TimeSpan.FromMinutes(1); o.MaxBatchEvents = 10_000; }))
        {
            for (var i = 0; i < 300; i++) client.Track(ws, $"u{i % 9}", "core.report_viewed");
            Assert.Equal(0, client.Stats.Sent);
        }
        Assert.Equal(300, await Engine.AppliedWhenAtLeastAsync(ws, 300));
    }

    [Fact]
    public async Task A_batch_the_engine_finds_too_large_is_split_and_all_of_it_applied()
    {
        await using var client = Engine.NewClient();
        var ws = NewWorkspace();
        var properties = new EventProperties();
        for (var k = 0; k < 10; k++) properties.Add($"note{k}", new string('x', 1000));
        // 40 events of ~10 KiB: one 400 KiB batch by the client's limits, over the engine's 128 KiB.
        for (var i = 0; i < 40; i++) client.Track(ws, "u1", "core.note_added", properties);
        await client.FlushAsync();

        var stats = client.Stats;
        Assert.Equal((40L, 40L, 0L), (stats.Sent, stats.Accepted, stats.Rejected));
        Assert.True(stats.Requests > 1);
        Assert.Equal(40, await Engine.AppliedWhenAtLeastAsync(ws, 40));
    }

    [Fact]
    public async Task A_wrong_api_key_gives_the_events_up_and_reports_them()
    {
        await using var client = Engine.NewClient(apiKey: "not-the-key-0123456789");
        var rejected = new ConcurrentBag<RejectedEvent>();
        client.EventsRejected += (_, e) => { foreach (var r in e.Events) rejected.Add(r); };
        var id = client.Track(NewWorkspace(), "u1", "core.report_viewed");
        await client.FlushAsync();

        var refused = Assert.Single(rejected);
        Assert.Equal(id, refused.EventId);
        Assert.StartsWith("HTTP 401", refused.Error);
        Assert.Equal((1L, 0L, 0L), (client.Stats.Rejected, client.Stats.Retries, client.Stats.Buffered));
    }

    [Fact]
    public async Task Own_event_ids_make_tracking_the_same_fact_twice_harmless()
    {
        await using var client = Engine.NewClient();
        var ws = NewWorkspace();
        Assert.Equal("order-1001", client.Track(ws, "u1", "core.order_placed", eventId: "order-1001"));
        await client.FlushAsync();
        await client.TrackAsync(ws, "u1", "core.order_placed", eventId: "order-1001");
        await client.FlushAsync();

        Assert.Equal((1L, 1L), (client.Stats.Accepted, client.Stats.Duplicates));
        Assert.Equal(1, await Engine.AppliedWhenAtLeastAsync(ws, 1));
    }

    [Fact]
    public async Task Track_refuses_what_it_cannot_send()
    {
        await using var client = Engine.NewClient();
        Assert.Throws<ArgumentException>(() => client.Track("", "u1", "core.x"));
        Assert.Throws<ArgumentException>(() => client.Track("ws", "u1", " "));
        var error = Assert.Throws<ArgumentException>(() => EventProperties.From(new Dictionary<string, object> { ["rows"] = 12, ["when"] = DateTime.UtcNow }));
        Assert.Contains("'when'", error.Message);
        Assert.Throws<ArgumentException>(() => new EventProperties { { "a", 1 }, { "a", 2 } });
        Assert.Equal(0, client.Stats.Tracked);

        await client.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => client.Track("ws", "u1", "core.x"));
    }
}
