using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains.Tests;

/// <summary>
/// The pulling agent's cache of a log partition: each cursor reads only its stream, in order, and purging hands
/// the receiver a prefix of the read order that no cursor still needs (what makes its delivered position safe).
/// </summary>
public sealed class EventLogQueueCacheTests
{
    private static readonly StreamId A = StreamId.Create(StreamNames.WorkspaceEvents, "a");
    private static readonly StreamId B = StreamId.Create(StreamNames.WorkspaceEvents, "b");

    private static EventLogBatchContainer Container(StreamId stream, long position, int index = 0) =>
        new(stream, new EventBatch([], position), new EventSequenceTokenV2(position, index), position);

    private static IQueueCacheCursor Cursor(EventLogQueueCache cache, StreamId stream, StreamSequenceToken? token)
    {
        var result = cache.TryGetCacheCursor(stream, token);
        return result.Kind == QueueCacheCursorResultKind.Success ? result.Cursor! : throw result.CacheMiss!.Value.ToException();
    }

    private static bool Moves(IQueueCacheCursor cursor) => cursor.MoveNextWithResult().Kind switch
    {
        QueueCacheCursorMoveResultKind.Success => true,
        QueueCacheCursorMoveResultKind.NoData => false,
        var kind => throw new InvalidOperationException($"unexpected move result {kind}"),
    };

    private static List<long> Drain(IQueueCacheCursor cursor)
    {
        var positions = new List<long>();
        while (Moves(cursor)) positions.Add(((EventLogBatchContainer)cursor.GetCurrent(out _)!).Token.SequenceNumber);
        return positions;
    }

    private static List<long> Purge(EventLogQueueCache cache) =>
        cache.TryPurgeFromCache(out var purged) ? purged.Select(c => ((EventLogBatchContainer)c).Token.SequenceNumber).ToList() : [];

    [Fact]
    public void A_cursor_reads_its_own_stream_in_order_and_continues_with_later_reads()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 1), Container(B, 2), Container(A, 3)]);
        var cursor = Cursor(cache, A, new EventSequenceTokenV2(1));

        Assert.Equal([1L, 3L], Drain(cursor));
        cache.AddToCache([Container(B, 4), Container(A, 5)]);
        Assert.Equal([5L], Drain(cursor));
        Assert.Empty(Drain(cursor));
    }

    [Fact]
    public void A_cursor_starts_at_its_token_and_one_without_a_token_at_the_newest_container()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 1), Container(A, 2), Container(B, 3), Container(A, 4)]);

        Assert.Equal([2L, 4L], Drain(Cursor(cache, A, new EventSequenceTokenV2(2))));
        Assert.Equal([4L], Drain(Cursor(cache, A, null)));
        // A token between two containers starts at the later one.
        Assert.Equal([4L], Drain(Cursor(cache, A, new EventSequenceTokenV2(3))));
    }

    [Fact]
    public void A_cursor_made_before_anything_was_read_starts_at_the_token_it_is_refreshed_with()
    {
        var cache = new EventLogQueueCache(100);
        var cursor = Cursor(cache, A, null);
        Assert.False(Moves(cursor));

        cache.AddToCache([Container(A, 7), Container(A, 8)]);
        Assert.Empty(Drain(cursor)); // not started: it holds nothing and reads nothing
        cursor.Refresh(new EventSequenceTokenV2(8));
        Assert.Equal([8L], Drain(cursor));
    }

    [Fact]
    public void A_token_older_than_everything_cached_is_a_cache_miss()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 5)]);
        var result = cache.TryGetCacheCursor(A, new EventSequenceTokenV2(4));
        Assert.Equal(QueueCacheCursorResultKind.CacheMiss, result.Kind);
        Assert.Equal(new EventSequenceTokenV2(5), result.CacheMiss!.Value.LowToken);
    }

    [Fact]
    public void An_earliest_cursor_starts_at_its_stream_oldest_container_still_cached()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 1), Container(B, 2)]);
        Assert.True(cache.TryPurgeFromCache(out _));
        cache.AddToCache([Container(A, 3), Container(B, 4), Container(A, 5)]);

        var earliest = cache.TryGetCacheCursorAtPosition(A, StreamSubscriptionStartPosition.EarliestAvailable).Cursor!;
        var latest = cache.TryGetCacheCursorAtPosition(A, StreamSubscriptionStartPosition.Latest).Cursor!;
        Assert.Equal([3L, 5L], Drain(earliest));
        Assert.Equal([5L], Drain(latest));
    }

    [Fact]
    public void Purging_stops_at_the_first_container_a_cursor_is_on_or_has_yet_to_reach()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 1), Container(B, 2), Container(A, 3), Container(B, 4)]);
        var a = Cursor(cache, A, new EventSequenceTokenV2(1));
        var b = Cursor(cache, B, new EventSequenceTokenV2(2));

        Assert.Empty(Purge(cache)); // a has not read 1
        Assert.True(Moves(a));
        Assert.Empty(Purge(cache)); // a is on 1 (being delivered)
        Assert.True(Moves(a));
        Assert.Equal([1L], Purge(cache)); // a moved on to 3, so 1 goes; b still needs 2, and nothing after it goes
        Assert.Equal([2L, 4L], Drain(b));
        Assert.Equal([2L], Purge(cache)); // a is still on 3, and 4 comes after it
        Assert.False(Moves(a));
        Assert.Equal([3L, 4L], Purge(cache));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_drained_cursor_holds_what_its_stream_reads_next_and_a_disposed_one_holds_nothing()
    {
        var cache = new EventLogQueueCache(100);
        var cursor = Cursor(cache, A, null);
        cache.AddToCache([Container(A, 1)]);
        cursor.Refresh(new EventSequenceTokenV2(1));
        Assert.Equal([1L], Drain(cursor));
        Assert.Equal([1L], Purge(cache));

        cache.AddToCache([Container(A, 2), Container(B, 3)]);
        Assert.Empty(Purge(cache)); // 2 is the cursor's next
        cursor.Dispose();
        Assert.Equal([2L, 3L], Purge(cache));
    }

    [Fact]
    public void A_container_whose_delivery_failed_is_purged_but_not_reported_delivered()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 1), Container(A, 2)]);
        var cursor = Cursor(cache, A, new EventSequenceTokenV2(1));
        Assert.True(Moves(cursor));
        cursor.RecordDeliveryFailure();
        Assert.True(Moves(cursor));
        Assert.False(Moves(cursor));

        Assert.Equal([2L], Purge(cache));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void The_cache_is_under_pressure_at_its_size_and_refuses_tokens_out_of_order()
    {
        var cache = new EventLogQueueCache(2);
        cache.AddToCache([Container(A, 1)]);
        Assert.False(cache.IsUnderPressure());
        cache.AddToCache([Container(B, 2)]);
        Assert.True(cache.IsUnderPressure());
        Assert.True(cache.TryPurgeFromCache(out _)); // no cursor holds them
        Assert.False(cache.IsUnderPressure());

        Assert.Throws<InvalidOperationException>(() => cache.AddToCache([Container(A, 2)]));
        // A read refused in part is refused whole: nothing of it is cached.
        Assert.Throws<InvalidOperationException>(() => cache.AddToCache([Container(A, 3), Container(B, 3)]));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Containers_sharing_a_first_position_are_ordered_by_their_index()
    {
        var cache = new EventLogQueueCache(100);
        cache.AddToCache([Container(A, 5, 0), Container(B, 5, 1), Container(A, 6, 0)]);
        var b = Cursor(cache, B, new EventSequenceTokenV2(5, 1));

        Assert.Equal([5L], Drain(b));
        Assert.Equal([5L, 6L], Drain(Cursor(cache, A, new EventSequenceTokenV2(5, 0))));
    }
}
