using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using SignalEngine.Core.Events;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// The durable event log: table <c>se_event_log</c>, one row per (partition, position, workspace), many
/// events per row. An append is one transaction: the partition's head position is advanced under a row
/// lock (so positions are dense and commit in order) and one row per workspace is inserted with
/// <c>unnest</c>. The HTTP 202 is sent only after this commit. The read side records each partition's
/// delivered position in <c>se_event_log_cursor</c> and trims delivered rows older than the retention.
/// </summary>
public sealed class PostgresEventLog(NpgsqlDataSource dataSource, EventLogRetentionOptions retention, ILogger<PostgresEventLog> logger) : IEventLog, IEventLogReader
{
    private readonly ConcurrentDictionary<int, DateTimeOffset> _lastTrim = new();

    public PostgresEventLog(NpgsqlDataSource dataSource) : this(dataSource, new EventLogRetentionOptions(), NullLogger<PostgresEventLog>.Instance)
    {
    }

    public async Task<IReadOnlyCollection<string>> AppendAsync(int partition, IReadOnlyList<(string WorkspaceId, UsageEvent[] Events)> groups)
    {
        var workspaces = new string[groups.Count];
        var payloads = new byte[groups.Count][];
        for (var i = 0; i < groups.Count; i++)
        {
            workspaces[i] = groups[i].WorkspaceId;
            payloads[i] = EventPayloadCodec.Encode(groups[i].Events);
        }
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var append = new NpgsqlCommand("""
            with head as (
                insert into se_event_log_head (partition, last_seq) values ($1, 1)
                on conflict (partition) do update set last_seq = se_event_log_head.last_seq + 1
                returning last_seq)
            insert into se_event_log (partition, seq, workspace_id, events)
            select $1, head.last_seq, t.workspace_id, t.events
            from head, unnest($2::text[], $3::bytea[]) as t(workspace_id, events)
            """, connection, transaction))
        {
            append.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            append.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = workspaces, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            append.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            await append.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return [];
    }

    public async IAsyncEnumerable<(string WorkspaceId, string EventId, DateTimeOffset ReceivedAt)> RecentEventIdsAsync(int partition, DateTimeOffset since, int max)
    {
        await using var command = dataSource.CreateCommand("""
            select workspace_id, appended_at, events from se_event_log
            where partition = $1 and appended_at >= $2
            order by seq desc
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = since.UtcDateTime });
        await using var reader = await command.ExecuteReaderAsync();
        var count = 0;
        while (count < max && await reader.ReadAsync())
        {
            var workspace = reader.GetString(0);
            var at = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
            foreach (var id in EventPayloadCodec.EventIds(reader.GetFieldValue<byte[]>(2)))
            {
                yield return (workspace, id, at);
                if (++count >= max) yield break;
            }
        }
    }

    public async IAsyncEnumerable<EventBatch> ReadWorkspaceAsync(string workspaceId, long afterSeq)
    {
        await using var command = dataSource.CreateCommand("select seq, events from se_event_log where workspace_id = $1 and seq > $2 order by seq");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = workspaceId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            yield return new EventBatch(EventPayloadCodec.Decode(workspaceId, reader.GetFieldValue<byte[]>(1)), reader.GetInt64(0));
    }

    public async Task<long> DeliveredPositionAsync(int partition)
    {
        await using var command = dataSource.CreateCommand("select delivered_seq from se_event_log_cursor where partition = $1");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        return await command.ExecuteScalarAsync() is long seq ? seq : 0;
    }

    public async Task<IReadOnlyList<LogRow>> ReadAsync(int partition, long afterSeq, int maxPositions)
    {
        await using var command = dataSource.CreateCommand("""
            select seq, workspace_id, events from se_event_log
            where partition = $1 and seq > $2 and seq <= $3
            order by seq, workspace_id
            """);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = afterSeq + maxPositions });
        var rows = new List<LogRow>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var workspace = reader.GetString(1);
                rows.Add(new LogRow(reader.GetInt64(0), workspace, EventPayloadCodec.Decode(workspace, reader.GetFieldValue<byte[]>(2))));
            }
        }
        return rows;
    }

    public async Task DeliveredAsync(int partition, long seq)
    {
        await using (var command = dataSource.CreateCommand("""
            insert into se_event_log_cursor (partition, delivered_seq, updated_at) values ($1, $2, now())
            on conflict (partition) do update set delivered_seq = greatest(se_event_log_cursor.delivered_seq, excluded.delivered_seq), updated_at = now()
            """))
        {
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = seq });
            await command.ExecuteNonQueryAsync();
        }
        await TrimIfDueAsync(partition, seq);
    }

    /// <summary>The log does not grow without bound: delivered rows older than the retention go.</summary>
    private async Task TrimIfDueAsync(int partition, long deliveredSeq)
    {
        var now = DateTimeOffset.UtcNow;
        if (_lastTrim.TryGetValue(partition, out var last) && now - last < retention.TrimInterval) return;
        _lastTrim[partition] = now;
        await using var command = dataSource.CreateCommand("delete from se_event_log where partition = $1 and seq <= $2 and appended_at < $3");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = partition });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = deliveredSeq });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = (now - retention.Retention).UtcDateTime });
        var trimmed = await command.ExecuteNonQueryAsync();
        if (trimmed > 0) logger.LogInformation("Event log partition {Partition}: trimmed {Rows} delivered rows", partition, trimmed);
    }
}

/// <summary>How long delivered rows stay in the log (workspace grains re-read their tail from it after a crash).</summary>
public sealed record EventLogRetentionOptions
{
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(2);

    public TimeSpan TrimInterval { get; init; } = TimeSpan.FromMinutes(1);
}
