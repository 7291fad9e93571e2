using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Streams;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>Tuning of the log's persistent stream provider.</summary>
public sealed record EventLogStreamOptions
{
    /// <summary>Log positions read per poll of a partition.</summary>
    public int PositionsPerRead { get; init; } = 64;

    /// <summary>How often a receiver records how far its partition has been delivered.</summary>
    public TimeSpan CursorWriteInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Delivered rows older than this are trimmed (workspace grains re-read their tail from the log after a crash).</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(2);

    public TimeSpan TrimInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The Orleans persistent stream provider over the PostgreSQL event log: one queue per ingest partition,
/// read in position order by a receiver that the pulling agents balance across silos. Events are never
/// produced through the stream API — ingest partitions append to the log directly (many workspaces per
/// transaction) — so the adapter is read-only.
/// </summary>
public sealed class EventLogQueueAdapterFactory(
    string providerName,
    NpgsqlDataSource dataSource,
    EventLogStreamOptions options,
    int partitions,
    ILoggerFactory loggerFactory) : IQueueAdapterFactory, IQueueAdapter
{
    private readonly HashRingBasedStreamQueueMapper _mapper = new(new HashRingStreamQueueMapperOptions { TotalQueueCount = partitions }, providerName);
    private readonly SimpleQueueAdapterCache _cache = new(new SimpleQueueCacheOptions { CacheSize = 16_384 }, providerName, loggerFactory);

    public static EventLogQueueAdapterFactory Create(IServiceProvider services, string name) => new(
        name,
        services.GetRequiredService<NpgsqlDataSource>(),
        services.GetRequiredService<EventLogStreamOptions>(),
        services.GetRequiredService<DurableModeOptions>().Partitions,
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
        new EventLogReceiver((int)queueId.GetNumericId(), dataSource, options, loggerFactory.CreateLogger<EventLogReceiver>());
}

/// <summary>One workspace's events at one log position, as the pulling agent delivers them.</summary>
[GenerateSerializer]
public sealed class EventLogBatchContainer(StreamId streamId, EventBatch batch, EventSequenceTokenV2 token) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;
    [Id(1)] public EventBatch Batch { get; } = batch;
    [Id(2)] public EventSequenceTokenV2 Token { get; } = token;

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Batch is T item ? [Tuple.Create(item, (StreamSequenceToken)Token)] : [];

    public bool ImportRequestContext() => false;
}

/// <summary>
/// Reads one partition of the log in position order from where it was last delivered, and records the
/// delivered position (and trims old delivered rows) as the agent acknowledges messages.
/// </summary>
public sealed class EventLogReceiver(int partition, NpgsqlDataSource dataSource, EventLogStreamOptions options, ILogger<EventLogReceiver> logger)
    : IQueueAdapterReceiver
{
    private long _readThrough;
    private long _deliveredThrough;
    private long _recordedThrough;
    private DateTimeOffset _lastCursorWrite;
    private DateTimeOffset _lastTrim;

    public async Task Initialize(TimeSpan timeout)
    {
        await using var command = dataSource.CreateCommand("select delivered_seq from se_event_log_cursor where partition = $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        _readThrough = _deliveredThrough = _recordedThrough = await command.ExecuteScalarAsync() is long seq ? seq : 0;
        logger.LogInformation("Event log partition {Partition}: delivering from position {Position}", partition, _readThrough + 1);
    }

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount)
    {
        var messages = new List<IBatchContainer>();
        await using (var command = dataSource.CreateCommand("""
            select seq, workspace_id, events from se_event_log
            where partition = $1 and seq > $2 and seq <= $3
            order by seq, workspace_id
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _readThrough });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _readThrough + options.PositionsPerRead });
            await using var reader = await command.ExecuteReaderAsync();
            var index = 0;
            long previous = 0;
            while (await reader.ReadAsync())
            {
                var seq = reader.GetInt64(0);
                index = seq == previous ? index + 1 : 0;
                previous = seq;
                var workspace = reader.GetString(1);
                var batch = new EventBatch(EventPayloadCodec.Decode(workspace, reader.GetFieldValue<byte[]>(2)), seq);
                messages.Add(new EventLogBatchContainer(StreamId.Create(StreamNames.WorkspaceEvents, workspace), batch, new EventSequenceTokenV2(seq, index)));
                _readThrough = Math.Max(_readThrough, seq);
            }
        }
        await TrimIfDueAsync();
        return messages;
    }

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages)
    {
        foreach (var message in messages)
            if (message.SequenceToken.SequenceNumber > _deliveredThrough) _deliveredThrough = message.SequenceToken.SequenceNumber;
        var now = DateTimeOffset.UtcNow;
        if (_deliveredThrough > _recordedThrough && now - _lastCursorWrite >= options.CursorWriteInterval) await RecordCursorAsync(now);
    }

    public async Task Shutdown(TimeSpan timeout)
    {
        if (_deliveredThrough > _recordedThrough) await RecordCursorAsync(DateTimeOffset.UtcNow);
    }

    private async Task RecordCursorAsync(DateTimeOffset now)
    {
        await using var command = dataSource.CreateCommand("""
            insert into se_event_log_cursor (partition, delivered_seq, updated_at) values ($1, $2, now())
            on conflict (partition) do update set delivered_seq = greatest(se_event_log_cursor.delivered_seq, excluded.delivered_seq), updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _deliveredThrough });
        await command.ExecuteNonQueryAsync();
        _recordedThrough = _deliveredThrough;
        _lastCursorWrite = now;
    }

    /// <summary>The log does not grow without bound: delivered rows older than the retention go.</summary>
    private async Task TrimIfDueAsync()
    {
        var now = DateTimeOffset.UtcNow;
        if (now - _lastTrim < options.TrimInterval) return;
        _lastTrim = now;
        await using var command = dataSource.CreateCommand("delete from se_event_log where partition = $1 and seq <= $2 and appended_at < $3");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = _recordedThrough });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = (now - options.Retention).UtcDateTime });
        var trimmed = await command.ExecuteNonQueryAsync();
        if (trimmed > 0) logger.LogInformation("Event log partition {Partition}: trimmed {Rows} delivered rows", partition, trimmed);
    }
}
