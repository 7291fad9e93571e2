using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;

namespace SignalEngine.Grains;

/// <summary>Tuning of the log's stream provider.</summary>
public sealed record EventLogStreamOptions
{
    /// <summary>The number of partitions (one queue each); the ingest partitions use the same numbers.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>
    /// A workspace stream without events for this long is dropped from its pulling agent's cache of streams
    /// (it is re-added by its next event); keep it in step with the workspace idle time.
    /// </summary>
    public TimeSpan StreamIdleAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Log positions read per poll of a partition.</summary>
    public int PositionsPerRead { get; init; } = 256;

    /// <summary>
    /// How often a partition is read when it had nothing new. Each read delivers one merged batch per
    /// workspace, so this is the engine's latency/throughput knob: every event waits up to one interval,
    /// and each workspace gets the events of up to one interval per delivery (a grain call and one rule
    /// evaluation). See docs/benchmarks.md for measured figures.
    /// </summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How often a receiver reports how far its partition has been delivered.</summary>
    public TimeSpan CursorWriteInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The Orleans persistent stream provider over the event log (memory or PostgreSQL): one queue per ingest
/// partition, read in position order by a receiver that the pulling agents balance across silos. Events are
/// never produced through the stream API — ingest partitions append to the log directly (many workspaces per
/// call) — so the adapter is read-only.
/// </summary>
public sealed class EventLogQueueAdapterFactory(
    string providerName,
    IEventLogReader log,
    EventLogStreamOptions options,
    ILoggerFactory loggerFactory) : IQueueAdapterFactory, IQueueAdapter
{
    private readonly HashRingBasedStreamQueueMapper _mapper = new(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.Partitions }, providerName);
    private readonly EventLogQueueAdapterCache _cache = new(maxContainersPerPartition: 16_384);

    public static EventLogQueueAdapterFactory Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<IEventLogReader>(),
        services.GetRequiredService<EventLogStreamOptions>(),
        services.GetRequiredService<ILoggerFactory>());

    public string Name => providerName;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadOnly;

    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => Task.FromResult<IStreamFailureHandler>(new NoOpStreamDeliveryFailureHandler());

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext) =>
        throw new NotSupportedException("events enter the log through the ingest partitions (IEventLog.AppendAsync), not through the stream API");

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) =>
        new EventLogReceiver((int)queueId.GetNumericId(), log, options, loggerFactory.CreateLogger<EventLogReceiver>());
}

/// <summary>
/// What the pulling agent delivers to one workspace: its events of one read, merged across positions.
/// <see cref="DeliveredThrough"/>: once this container (and so every one before it) is delivered, every
/// position up to it has reached its workspace.
/// </summary>
[GenerateSerializer]
public sealed class EventLogBatchContainer(StreamId streamId, EventBatch batch, EventSequenceTokenV2 token, long deliveredThrough) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;
    [Id(1)] public EventBatch Batch { get; } = batch;
    [Id(2)] public EventSequenceTokenV2 Token { get; } = token;
    [Id(3)] public long DeliveredThrough { get; } = deliveredThrough;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Batch is T item ? [Tuple.Create(item, (StreamSequenceToken)Token)] : [];

    public bool ImportRequestContext() => false;
}

/// <summary>
/// Reads one partition of the log in position order from where it was last delivered, merges the rows of
/// each workspace within a read into one container (one grain call and one rule evaluation per workspace
/// per read, however many positions it spans), and reports the delivered position as the agent purges.
/// </summary>
public sealed class EventLogReceiver(int partition, IEventLogReader log, EventLogStreamOptions options, ILogger<EventLogReceiver> logger)
    : IQueueAdapterReceiver
{
    private long _readThrough;
    private long _deliveredThrough;
    private long _recordedThrough;
    private DateTimeOffset _lastCursorWrite;

    public async Task Initialize(TimeSpan timeout)
    {
        _readThrough = _deliveredThrough = _recordedThrough = await log.DeliveredPositionAsync(partition);
        logger.LogInformation("Event log partition {Partition}: delivering after position {Position}", partition, _readThrough);
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var rows = await log.ReadAsync(partition, _readThrough, options.PositionsPerRead);
        if (rows.Count == 0) return [];
        _readThrough = Math.Max(_readThrough, rows[^1].Seq);
        return Merge(rows, _readThrough);
    }

    /// <summary>
    /// One container per workspace, in the order of each workspace's first position. Every row of a
    /// position before the next container's first position lies in this or an earlier container, which is
    /// what makes <see cref="EventLogBatchContainer.DeliveredThrough"/> safe.
    /// </summary>
    public static IList<IBatchContainer> Merge(IReadOnlyList<LogRow> rows, long readThrough)
    {
        var byWorkspace = new Dictionary<string, List<LogRow>>(StringComparer.Ordinal);
        var order = new List<List<LogRow>>();
        foreach (var row in rows)
        {
            if (!byWorkspace.TryGetValue(row.WorkspaceId, out var group))
            {
                byWorkspace[row.WorkspaceId] = group = [];
                order.Add(group);
            }
            group.Add(row);
        }
        var containers = new IBatchContainer[order.Count];
        long previousFirst = -1;
        var index = 0;
        for (var i = 0; i < order.Count; i++)
        {
            var group = order[i];
            var first = group[0].Seq;
            index = first == previousFirst ? index + 1 : 0;
            previousFirst = first;
            var through = i + 1 < order.Count ? order[i + 1][0].Seq - 1 : readThrough;
            containers[i] = new EventLogBatchContainer(
                StreamId.Create(StreamNames.WorkspaceEvents, group[0].WorkspaceId), MergeRows(group), new EventSequenceTokenV2(first, index), through);
        }
        return containers;
    }

    private static EventBatch MergeRows(List<LogRow> group)
    {
        if (group.Count == 1) return new EventBatch(group[0].Events, group[0].Seq);
        var events = new Core.Events.UsageEvent[group.Sum(r => r.Events.Length)];
        var segments = new LogSegment[group.Count];
        var start = 0;
        for (var i = 0; i < group.Count; i++)
        {
            segments[i] = new LogSegment(group[i].Seq, start);
            group[i].Events.CopyTo(events, start);
            start += group[i].Events.Length;
        }
        return new EventBatch(events, group[^1].Seq, segments);
    }

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
            if (message is EventLogBatchContainer { DeliveredThrough: var through } && through > _deliveredThrough) _deliveredThrough = through;
        var now = DateTimeOffset.UtcNow;
        if (_deliveredThrough > _recordedThrough && now - _lastCursorWrite >= options.CursorWriteInterval) await RecordAsync(now);
    }

    public async Task Shutdown(TimeSpan timeout)
    {
        if (_deliveredThrough > _recordedThrough) await RecordAsync(DateTimeOffset.UtcNow);
    }

    private async Task RecordAsync(DateTimeOffset now)
    {
        await log.DeliveredAsync(partition, _deliveredThrough);
        _recordedThrough = _deliveredThrough;
        _lastCursorWrite = now;
    }
}
