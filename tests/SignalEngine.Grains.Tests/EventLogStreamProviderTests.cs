using Orleans.Core.Internal;
using Orleans.Streams;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains.Tests;

/// <summary>How a read of the log becomes deliveries: one merged batch per workspace, and a delivered position that never runs ahead.</summary>
public sealed class EventLogStreamProviderTests
{
    private static LogRow Row(long seq, string workspace, params string[] ids) =>
        new(seq, workspace, ids.Select(id => new UsageEvent(id, workspace, "u1", "core.x", DateTimeOffset.UnixEpoch)).ToArray());

    private static EventLogBatchContainer[] Merge(long readThrough, params LogRow[] rows) =>
        EventLogReceiver.Merge(rows, readThrough).Cast<EventLogBatchContainer>().ToArray();

    [Fact]
    public void Rows_of_one_workspace_merge_into_one_batch_in_position_order_with_a_segment_per_position()
    {
        var merged = Merge(12, Row(10, "a", "1", "2"), Row(10, "b", "3"), Row(11, "a", "4"), Row(12, "c", "5"), Row(12, "a", "6"));

        Assert.Equal(["a", "b", "c"], merged.Select(m => m.StreamId.GetKeyAsString()));
        var a = merged[0].Batch;
        Assert.Equal(["1", "2", "4", "6"], a.Events.Select(e => e.EventId));
        Assert.Equal(12, a.LogSeq);
        Assert.Equal([new LogSegment(10, 0), new LogSegment(11, 2), new LogSegment(12, 3)], a.Segments!);
        // Tokens grow in cache order: (first position, index among the batches starting there).
        Assert.Equal([(10L, 0), (10L, 1), (12L, 0)], merged.Select(m => (m.Token.SequenceNumber, m.Token.EventIndex)));
    }

    [Fact]
    public void A_batch_delivered_proves_only_the_positions_before_the_next_batch_first_position()
    {
        var merged = Merge(12, Row(10, "a", "1"), Row(10, "b", "2"), Row(11, "a", "3"), Row(12, "c", "4"));

        // a holds 10 and 11, but b (position 10) comes after it: nothing is proven until b is delivered.
        Assert.Equal([9L, 11L, 12L], merged.Select(m => m.DeliveredThrough));
    }

    [Fact]
    public void Events_after_the_applied_position_skip_whole_positions_already_applied()
    {
        var batch = Merge(12, Row(10, "a", "1", "2"), Row(11, "a", "3"), Row(12, "a", "4"))[0].Batch;

        Assert.Equal(["1", "2", "3", "4"], batch.EventsAfter(9).Select(e => e.EventId));
        Assert.Equal(["3", "4"], batch.EventsAfter(10).Select(e => e.EventId));
        Assert.Equal(["4"], batch.EventsAfter(11).Select(e => e.EventId));
        Assert.Equal(0, batch.EventsAfter(12).Count);
        // A batch without a position (no log) is always applied.
        Assert.Equal(2, new EventBatch(batch.Events[..2]).EventsAfter(long.MaxValue).Count);
    }
}

/// <summary>Memory mode's log partition: positions keep growing, delivered rows go, and a full log refuses (back-pressure) rather than growing without bound.</summary>
[Collection(EngineClusterCollection.Name)]
public sealed class MemoryLogPartitionGrainTests(EngineClusterFixture fixture)
{
    [Fact]
    public async Task A_partition_activated_again_gives_positions_above_every_one_it_gave_before()
    {
        // Workspaces remember the newest position they applied: a re-activated log starting lower would have them skip events.
        var log = fixture.Client.GetGrain<IMemoryLogPartitionGrain>(10_000 + Random.Shared.Next(100_000));
        var start = await log.DeliveredPosition();
        var one = new UsageEvent("e", "ws", "u1", "core.x", DateTimeOffset.UtcNow);
        for (var i = 0; i < 5; i++) Assert.True(await log.Append(new LogAppend([new LogGroup("ws", [one])])));
        await log.Delivered(start + 5);
        // Positions count from the activation time in microseconds: the promise holds once a millisecond has passed.
        await Task.Delay(5);

        await log.Cast<IGrainManagementExtension>().DeactivateOnIdle();
        var restarted = await Eventually.Until(log.DeliveredPosition, position => position != start + 5, "the partition activated again");

        Assert.True(restarted > start + 5, $"{restarted} is not above {start + 5}");
        Assert.True(await log.Append(new LogAppend([new LogGroup("ws", [one])])));
        Assert.Equal([restarted + 1], (await log.Read(restarted, 10)).Select(r => r.Seq));
    }

    [Fact]
    public async Task A_full_partition_refuses_appends_until_delivery_frees_room()
    {
        // A partition number no receiver reads (the cluster's partitions are 0-15): nothing is delivered unless the test says so.
        var log = fixture.Client.GetGrain<IMemoryLogPartitionGrain>(10_000 + Random.Shared.Next(100_000));
        var start = await log.DeliveredPosition();
        var one = new UsageEvent("e", "ws", "u1", "core.x", DateTimeOffset.UtcNow);
        var full = Enumerable.Repeat(one, new MemoryLogOptions().MaxUndeliveredEvents).ToArray();

        Assert.True(await log.Append(new LogAppend([new LogGroup("ws", full)])));
        Assert.False(await log.Append(new LogAppend([new LogGroup("ws", [one])])));

        var rows = await log.Read(start, 10);
        Assert.Equal([start + 1], rows.Select(r => r.Seq));
        await log.Delivered(start + 1);
        Assert.Empty(await log.Read(start, 10));
        Assert.True(await log.Append(new LogAppend([new LogGroup("ws", [one])])));
        Assert.Equal([start + 2], (await log.Read(start + 1, 10)).Select(r => r.Seq));
    }
}
