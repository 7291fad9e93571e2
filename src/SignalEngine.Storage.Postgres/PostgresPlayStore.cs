using System.Text.Json;
using System.Text.Json.Serialization;
using Npgsql;
using NpgsqlTypes;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// Plays in table <c>se_plays</c>, one row per play id in its latest status: the durable outbox the feed
/// and (later) webhooks deliver from. An upsert only changes a row whose status differs, and
/// <c>feed_seq</c> increases with every change, so the feed can resume from a position.
/// </summary>
public sealed class PostgresPlayStore(NpgsqlDataSource dataSource) : IPlayStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public async Task<IReadOnlyList<Play>> RecordAsync(IReadOnlyList<Play> plays)
    {
        if (plays.Count == 0) return [];
        await using var command = dataSource.CreateCommand("""
            insert into se_plays (play_id, workspace_id, rule_id, kind, status, shadow, fired_at, updated_at, feed_seq, play)
            select t.play_id, t.workspace_id, t.rule_id, t.kind, t.status, t.shadow, t.fired_at, now(), nextval('se_plays_feed_seq'), t.play
            from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::timestamptz[], $8::jsonb[])
                 as t(play_id, workspace_id, rule_id, kind, status, shadow, fired_at, play)
            on conflict (play_id) do update
                set status = excluded.status, updated_at = now(), feed_seq = excluded.feed_seq,
                    play = jsonb_set(excluded.play, '{firedAt}', se_plays.play -> 'firedAt'), fired_at = se_plays.fired_at
                where se_plays.status <> excluded.status
            returning play
            """);
        command.Parameters.Add(Array(plays.Select(p => p.PlayId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => p.WorkspaceId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => p.RuleId), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => PlayVocabulary.Name(p.Kind)), NpgsqlDbType.Text));
        command.Parameters.Add(Array(plays.Select(p => PlayVocabulary.Name(p.Status)), NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = plays.Select(p => p.Shadow).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = plays.Select(p => p.FiredAt.UtcDateTime).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Array(plays.Select(p => JsonSerializer.Serialize(p, Json)), NpgsqlDbType.Jsonb));
        var changed = new List<Play>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) changed.Add(JsonSerializer.Deserialize<Play>(reader.GetString(0), Json)!);
        return changed;
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
            order by fired_at desc, play_id desc
            limit $6
            """);
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = query.Shadow });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.WorkspaceId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.RuleId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = query.Kind is { } kind ? PlayVocabulary.Name(kind) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = query.Since is { } since ? since.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Clamp(query.Limit, 1, PlayQuery.MaxLimit) });
        var plays = new List<Play>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) plays.Add(JsonSerializer.Deserialize<Play>(reader.GetString(0), Json)!);
        return [.. plays];
    }

    private static NpgsqlParameter<string[]> Array(IEnumerable<string> values, NpgsqlDbType type) =>
        new() { TypedValue = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };
}
