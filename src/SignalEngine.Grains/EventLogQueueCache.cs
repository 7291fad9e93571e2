using Orleans.Streams;

namespace SignalEngine.Grains;

/// <summary>Creates one <see cref="EventLogQueueCache"/> per log partition.</summary>
public sealed class EventLogQueueAdapterCache(int maxContainersPerPartition) : IQueueAdapterCache
{
    public IQueueCache CreateQueueCache(QueueId queueId) => new EventLogQueueCache(maxContainersPerPartition);
}

/// <summary>
/// The pulling agent's cache of one log partition: the containers read but not yet delivered to every
/// cursor, indexed by stream. It replaces Orleans' <c>SimpleQueueCache</c>, whose cursors walk one list of
/// every stream's containers to find their own (and walk it again to find a start token each time a drained
/// consumer is woken): with a hundred or more workspaces per partition read, those walks were about 5% of
/// the engine's CPU under load. Here a cursor moves by index within its stream's own containers.
/// <para>
/// Contract kept from <c>SimpleQueueCache</c>, which the pulling agent and <see cref="EventLogReceiver"/>
/// rely on: a cursor delivers its stream's containers at or after its start token, in order; a cursor made
/// without a token starts at the newest container; a token older than everything cached is a
/// <see cref="QueueCacheMissException"/>; purging hands back a prefix of the read order (so the receiver's
/// delivered position is safe), never a container a live cursor is on or has yet to reach, and leaves out
/// containers whose delivery failed. One difference: a cursor that has read everything keeps holding its
/// stream's next containers (<c>SimpleQueueCache</c> held nothing until the agent refreshed it), which is
/// what a consumer wants; with implicit subscriptions only, a consumer has a cursor only once registered.
/// </para>
/// Containers must arrive with strictly increasing tokens (the receiver's reads do). A cursor holds one
/// container at a time, so the agent must deliver one container per call (<c>BatchContainerBatchSize</c> 1,
/// which <see cref="EngineSilo.AddSignalEngineEventStreams"/> sets). Used only from the pulling agent's own
/// turn, so nothing here is locked.
/// </summary>
public sealed class EventLogQueueCache(int maxContainers) : IQueueCache
{
    private readonly Queue<CachedContainer> _readOrder = new();
    private readonly Dictionary<StreamId, StreamContainers> _streams = [];
    private StreamSequenceToken? _newest;

    public int Count => _readOrder.Count;

    /// <summary>The receiver reads a bounded number of log positions; fullness is signalled by <see cref="IsUnderPressure"/>.</summary>
    public int GetMaxAddCount() => QueueAdapterConstants.UNLIMITED_GET_QUEUE_MSG;

    public bool IsUnderPressure() => _readOrder.Count >= maxContainers;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        // Checked before anything is added: a read taken in part would leave positions the receiver has passed uncached.
        var newest = _newest;
        foreach (var message in messages)
        {
            if (newest is not null && !message.SequenceToken.Newer(newest))
                throw new InvalidOperationException($"container token {message.SequenceToken} is not newer than the one before it, {newest}");
            newest = message.SequenceToken;
        }
        foreach (var message in messages)
        {
            var stream = StreamOf(message.StreamId);
            var container = new CachedContainer(message, stream, stream.NextIndex);
            stream.Append(container);
            _readOrder.Enqueue(container);
        }
        _newest = newest;
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        List<IBatchContainer>? purged = null;
        while (_readOrder.TryPeek(out var oldest) && !oldest.Stream.IsHeld(oldest.Index))
        {
            _readOrder.Dequeue();
            oldest.Stream.RemoveFirst();
            if (oldest.Stream.IsEmpty && !oldest.Stream.HasCursors) _streams.Remove(oldest.Stream.Id);
            if (!oldest.DeliveryFailed) (purged ??= []).Add(oldest.Batch);
        }
        purgedItems = purged!;
        return purged is not null;
    }

    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        token ??= _newest;
        if (token is not null && _readOrder.TryPeek(out var oldest) && token.Older(oldest.Batch.SequenceToken))
            return QueueCacheCursorResult<IQueueCacheCursor>.FromCacheMiss(new QueueCacheMissInfo(token, oldest.Batch.SequenceToken, _newest!));
        var cursor = NewCursor(streamId);
        if (token is not null) cursor.StartAt(token);
        return QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(cursor);
    }

    /// <summary>Latest as <see cref="TryGetCacheCursor"/> without a token; earliest from the stream's oldest container still cached.</summary>
    public QueueCacheCursorResult<IQueueCacheCursor> TryGetCacheCursorAtPosition(StreamId streamId, StreamSubscriptionStartPosition startPosition)
    {
        switch (startPosition)
        {
            case StreamSubscriptionStartPosition.Latest:
                return TryGetCacheCursor(streamId, null);
            case StreamSubscriptionStartPosition.EarliestAvailable:
                var cursor = NewCursor(streamId);
                cursor.StartAtFirst();
                return QueueCacheCursorResult<IQueueCacheCursor>.FromCursor(cursor);
            default:
                throw new ArgumentOutOfRangeException(nameof(startPosition), startPosition, "not a subscription start position");
        }
    }

    [Obsolete("Use TryGetCacheCursor instead.")]
    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        var result = TryGetCacheCursor(streamId, token);
        return result.Kind == QueueCacheCursorResultKind.Success ? result.Cursor! : throw result.CacheMiss!.Value.ToException();
    }

    private Cursor NewCursor(StreamId streamId)
    {
        var stream = StreamOf(streamId);
        var cursor = new Cursor(this, stream);
        stream.Cursors.Add(cursor);
        return cursor;
    }

    private StreamContainers StreamOf(StreamId streamId)
    {
        if (!_streams.TryGetValue(streamId, out var stream)) _streams[streamId] = stream = new StreamContainers(streamId);
        return stream;
    }

    private void Release(Cursor cursor)
    {
        var stream = cursor.Stream;
        stream.Cursors.Remove(cursor);
        if (stream.IsEmpty && !stream.HasCursors) _streams.Remove(stream.Id);
    }

    private sealed class CachedContainer(IBatchContainer batch, StreamContainers stream, long index)
    {
        public IBatchContainer Batch { get; } = batch;
        public StreamContainers Stream { get; } = stream;

        /// <summary>Position among every container its stream ever had in this cache (never reused).</summary>
        public long Index { get; } = index;

        public bool DeliveryFailed { get; set; }
    }

    /// <summary>One stream's cached containers in read order, and the cursors reading them.</summary>
    private sealed class StreamContainers(StreamId id)
    {
        private readonly List<CachedContainer> _items = [];
        private int _head;
        private long _removed;

        public StreamId Id { get; } = id;
        public List<Cursor> Cursors { get; } = new(1);
        public bool HasCursors => Cursors.Count > 0;
        public bool IsEmpty => _head == _items.Count;
        public long FirstIndex => _removed;
        public long NextIndex => _removed + (_items.Count - _head);

        public void Append(CachedContainer container) => _items.Add(container);

        public CachedContainer? At(long index)
        {
            var offset = index - _removed;
            return offset >= 0 && offset < _items.Count - _head ? _items[_head + (int)offset] : null;
        }

        /// <summary>The index of the first container at or after <paramref name="token"/> (or the next one to come).</summary>
        public long FirstAtOrAfter(StreamSequenceToken token)
        {
            var index = _removed;
            while (At(index) is { } container && container.Batch.SequenceToken.Older(token)) index++;
            return index;
        }

        public void RemoveFirst()
        {
            _items[_head++] = null!;
            _removed++;
            if (_head == _items.Count) { _items.Clear(); _head = 0; }
            else if (_head > 32 && _head * 2 > _items.Count) { _items.RemoveRange(0, _head); _head = 0; }
        }

        /// <summary>True while a cursor is on the container or has yet to reach it.</summary>
        public bool IsHeld(long index)
        {
            foreach (var cursor in Cursors)
                if (cursor.HeldFrom <= index) return true;
            return false;
        }
    }

    private sealed class Cursor(EventLogQueueCache cache, StreamContainers stream) : IQueueCacheCursor
    {
        private const long NotStarted = long.MaxValue;
        private long _next = NotStarted;
        private StreamSequenceToken? _from;
        private CachedContainer? _current;
        private bool _disposed;

        public StreamContainers Stream { get; } = stream;

        /// <summary>The first index this cursor still needs: the container it is on, else the next one; none before it starts.</summary>
        public long HeldFrom => _current?.Index ?? _next;

        public void StartAt(StreamSequenceToken token)
        {
            _from = token;
            _next = Stream.FirstAtOrAfter(token);
        }

        public void StartAtFirst() => _next = Stream.FirstIndex;

        public IBatchContainer? GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current?.Batch;
        }

        [Obsolete("Use MoveNextWithResult instead.")]
        public bool MoveNext() => Move();

        // Never a cache miss: nothing a cursor still needs is purged.
        public QueueCacheCursorMoveResult MoveNextWithResult() => Move() ? QueueCacheCursorMoveResult.Success : QueueCacheCursorMoveResult.NoData;

        private bool Move()
        {
            if (_disposed || _next == NotStarted) return false;
            // A start token beyond everything cached yet: containers read later may still lie before it.
            while ((_current = Stream.At(_next)) is not null && _from is not null && _current.Batch.SequenceToken.Older(_from)) _next++;
            if (_current is null) return false;
            _from = null;
            _next++;
            return true;
        }

        /// <summary>A cursor made before anything was cached starts at the first token the agent sees for its stream.</summary>
        public void Refresh(StreamSequenceToken token)
        {
            if (!_disposed && _next == NotStarted) StartAt(token);
        }

        public void RecordDeliveryFailure()
        {
            if (_current is not null) _current.DeliveryFailed = true;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _current = null;
            cache.Release(this);
        }
    }
}
