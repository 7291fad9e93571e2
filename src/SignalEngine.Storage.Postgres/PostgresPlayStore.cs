using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// Plays in <c>se_plays</c> (one row per play id, latest status), their changes in <c>se_play_changes</c>
/// (the feed), and the webhook deliveries of those changes in <c>se_webhook_deliveries</c> — all written by
/// one statement, so a recorded change is never without its deliveries (transactional outbox).
/// </summary>
public sealed class PostgresPlayStore(NpgsqlDataSource dataSource) : IPlayStore
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Feed positions come from a sequence, so two writers (the ledger briefly active twice during a membership
    /// change) could commit position p+1 before p, and a feed that read after p-1 would step over p for good.
    /// Every write to the feed takes this transaction-scoped advisory lock first: positions become visible in order.
    /// </summary>
    public const long FeedWriteLock = 0x5E_FEED_0001;

    /// <summary>A batch (one implicit transaction) that takes <see cref="FeedWriteLock"/>, then runs <paramref name="write"/>.</summary>
    private NpgsqlBatch FeedWrite(string sql, out NpgsqlBatchCommand write)
    {
        var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand($"select pg_advisory_xact_lock({FeedWriteLock})"));
        write = new NpgsqlBatchCommand(sql);
        batch.BatchCommands.Add(write);
        return batch;
    }

    public async Task<IReadOnlyList<PlayChange>> RecordAsync(IReadOnlyList<Play> plays)
    {
        if (plays.Count == 0) return [];
        await using var batch = FeedWrite("""
            with incoming as (
                select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[], $8::jsonb[], $9::text[])
                    as t(play_id, workspace_id, rule_id, kind, status, shadow, fired_at, play, event_id)),
            stored as (
                insert into se_plays (play_id, workspace_id, rule_id, kind, status, shadow, fired_at, updated_at, feed_seq, play)
                select play_id, workspace_id, rule_id, kind, status, shadow, fired_at, now(), 0, play from incoming
                on conflict (play_id) do update
                    set status = excluded.status, updated_at = now(),
                        play = jsonb_set(jsonb_set(jsonb_set(excluded.play, '{firedAt}', se_plays.play -> 'firedAt'), '{lifecycle}', se_plays.play -> 'lifecycle'),
                                         '{digestOn}', coalesce(se_plays.play -> 'digestOn', 'null'::jsonb))
                    where se_plays.status <> excluded.status or (se_plays.play ->> 'heldBy') is distinct from (excluded.play ->> 'heldBy')
                returning play_id, kind, status, shadow, play),
            changes as (
                insert into se_play_changes (play_id, event_id, play)
                select s.play_id, i.event_id, s.play from stored s join incoming i using (play_id)
                returning position, play_id, play),
            deliveries as (
                insert into se_webhook_deliveries (subscription_id, position, change)
                select w.id, c.position, jsonb_build_object('position', c.position, 'play', c.play)
                from changes c
                join stored s using (play_id)
                join se_webhook_subscriptions w
                  on w.disabled_reason is null and not s.shadow and (s.play ->> 'heldBy') is null and (s.play ->> 'digestOn') is null
                 and (cardinality(w.kinds) = 0 or s.kind = any (w.kinds))
                 and (cardinality(w.tiers) = 0 or (s.play ->> 'tier')::integer = any (w.tiers))
                 and (cardinality(w.pods) = 0 or s.play ->> 'pod' = any (w.pods))
                 and (cardinality(w.rule_ids) = 0 or s.play ->> 'ruleId' = any (w.rule_ids)))
            select position, play from changes order by position
            """, out var command);
        command.Parameters.Add(Array(plays.Select(p => p.PlayId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => p.WorkspaceId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => p.RuleId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => PlayVocabulary.Name(p.Kind)), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => PlayVocabulary.Name(p.Status)), NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = plays.Select(p => p.Shadow).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = plays.Select(p => p.FiredAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Array(plays.Select(p => JsonSerializer.Serialize(p, Json)), NpgsqlDbType.Jsonb));
        command.Parameters.Add(Array(plays.Select(PlayChange.EventIdOf), NpgsqlDbType.Text));
        var changes = new List<PlayChange>();
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync(); // past the lock
        while (await reader.ReadAsync()) changes.Add(new PlayChange(reader.GetInt64(0), Read(reader.GetString(1))));
        return changes;
    }

    public async Task<Play[]> QueryAsync(PlayQuery query)
    {
        await using var command = dataSource.CreateCommand("""
            select play from se_plays
            where shadow = $1
              and ($2::text is null or workspace_id = $2)
              and ($3::text is null or rule_id = $3)
              and ($4::text is null or kind = $4)
              and ($5::timestamptz is null or fired_at >= $5)
              and ($7::text is null or play ->> 'pod' = $7)
              and ($8::text is null or play -> 'owner' ->> 'name' = $8)
            order by fired_at desc, play_id desc
            limit $6
            """);
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = query.Shadow });
        command.Parameters.Add(Text(query.WorkspaceId));
        command.Parameters.Add(Text(query.RuleId));
        command.Parameters.Add(Text(query.Kind is { } kind ? PlayVocabulary.Name(kind) : null));
        command.Parameters.Add(new NpgsqlParameter { Value = query.Since is { } since ? since.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Clamp(query.Limit, 1, PlayQuery.MaxLimit) });
        command.Parameters.Add(Text(query.Pod));
        command.Parameters.Add(Text(query.Owner));
        var plays = new List<Play>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plays.Add(Read(reader.GetString(0)));
        return [.. plays];
    }

    public async Task<Play?> GetAsync(string playId)
    {
        await using var command = dataSource.CreateCommand("select play from se_plays where play_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = playId });
        return await command.ExecuteScalarAsync() is string json ? Read(json) : null;
    }

    public async Task<PlayChange[]> ChangesAfterAsync(long position, int max)
    {
        await using var command = dataSource.CreateCommand("select position, play, digest from se_play_changes where position > $1 order by position limit $2");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        var changes = new List<PlayChange>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            changes.Add(new PlayChange(reader.GetInt64(0), Read(reader.GetString(1)), reader.IsDBNull(2) ? null : JsonSerializer.Deserialize<PlayDigest>(reader.GetString(2), Json)));
        return [.. changes];
    }

    public async Task<long?> PositionOfAsync(string eventId)
    {
        await using var command = dataSource.CreateCommand("select max(position) from se_play_changes where event_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = eventId });
        return await command.ExecuteScalarAsync() is long position ? position : null;
    }

    public async Task<long> HeadAsync()
    {
        await using var command = dataSource.CreateCommand("select coalesce(max(position), 0) from se_play_changes");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<Play?> ActAsync(string playId, PlayAction action)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        Play play;
        await using (var read = new NpgsqlCommand("select play from se_plays where play_id = $1 for update", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = playId });
            if (await read.ExecuteScalarAsync() is not string json) return null;
            play = Read(json);
        }
        play = play with { Lifecycle = play.Lifecycle.With(action) };
        await using (var write = new NpgsqlCommand("update se_plays set play = $2, updated_at = now() where play_id = $1", connection, transaction))
        {
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = playId });
            write.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(play, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await write.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return play;
    }

    public async Task<int> CountPushedAsync(string owner, DateOnly day)
    {
        await using var command = dataSource.CreateCommand("""
            select count(*) from se_plays
            where play -> 'owner' ->> 'name' = $1 and fired_at >= $2 and fired_at < $2 + interval '1 day'
              and not shadow and (play ->> 'digestOn') is null
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) });
        return (int)(long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<Play[]> WaitingForDigestAsync(DateOnly day)
    {
        await using var command = dataSource.CreateCommand("""
            select p.play from se_plays p
            where (p.play ->> 'digestOn') is not null and (p.play ->> 'digestOn')::date <= $1
              and not exists (select 1 from se_play_digests d
                              where d.id = 'digest.' || (p.play ->> 'digestOn') || '.' || (p.play -> 'owner' ->> 'name'))
            """);
        command.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = day });
        var plays = new List<Play>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plays.Add(Read(reader.GetString(0)));
        return [.. plays];
    }

    public async Task<PlayChange?> RecordDigestAsync(PlayDigest digest)
    {
        var lead = digest.Plays.OrderByDescending(p => p.Severity).ThenBy(p => p.FiredAt).First();
        await using var batch = FeedWrite("""
            with sent as (
                insert into se_play_digests (id) values ($1) on conflict do nothing returning id),
            change as (
                insert into se_play_changes (play_id, event_id, play, digest)
                select $2, $1, $3, $4 from sent
                returning position, play, digest),
            deliveries as (
                insert into se_webhook_deliveries (subscription_id, position, change)
                select w.id, c.position, jsonb_build_object('position', c.position, 'play', c.play, 'digest', c.digest)
                from change c
                join se_webhook_subscriptions w
                  on w.disabled_reason is null
                 and (cardinality(w.kinds) = 0 or c.play ->> 'kind' = any (w.kinds))
                 and (cardinality(w.tiers) = 0 or (c.play ->> 'tier')::integer = any (w.tiers))
                 and (cardinality(w.pods) = 0 or c.play ->> 'pod' = any (w.pods))
                 and (cardinality(w.rule_ids) = 0 or c.play ->> 'ruleId' = any (w.rule_ids)))
            select position from change
            """, out var command);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = digest.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = lead.PlayId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(lead, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(digest, Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await using var reader = await batch.ExecuteReaderAsync();
        await reader.NextResultAsync(); // past the lock
        return await reader.ReadAsync() ? new PlayChange(reader.GetInt64(0), lead, digest) : null;
    }

    internal static Play Read(string json) => JsonSerializer.Deserialize<Play>(json, Json)!;

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static NpgsqlParameter<string[]> Array(IEnumerable<string> values, NpgsqlDbType type) =>
        new() { TypedValue = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };
}
