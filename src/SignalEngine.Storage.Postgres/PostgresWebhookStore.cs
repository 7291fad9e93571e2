using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// Webhook subscriptions (<c>se_webhook_subscriptions</c>) and the delivery outbox (<c>se_webhook_deliveries</c>,
/// filled by <see cref="PostgresPlayStore"/> in the same statement that records a play change). Every silo
/// dispatches; a delivery is claimed with <c>for update skip locked</c> and a lease, so no two send it at once.
/// </summary>
public sealed class PostgresWebhookStore(NpgsqlDataSource dataSource) : IWebhookStore
{
    private const string Columns = "id, url, kinds, tiers, pods, rule_ids, secrets, created_at, paused, disabled_reason, failing_since, last_success_at, last_failure_at, last_error";

    public async Task<WebhookSubscription> CreateAsync(string url, WebhookFilter filter, string secret, DateTimeOffset now)
    {
        var subscription = new WebhookSubscription("sub_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), url, filter,
            [new WebhookSecret(secret, now, null)], now, false, null, null, null, null, null);
        await using var command = dataSource.CreateCommand($"insert into se_webhook_subscriptions ({Columns}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)");
        Bind(command, subscription);
        await command.ExecuteNonQueryAsync();
        return subscription;
    }

    public async Task<WebhookSubscription[]> ListAsync()
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from se_webhook_subscriptions order by created_at");
        return [.. await ReadAll(command)];
    }

    public async Task<WebhookSubscription?> GetAsync(string id)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from se_webhook_subscriptions where id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (await ReadAll(command)).SingleOrDefault();
    }

    public async Task<bool> DeleteAsync(string id)
    {
        await using var command = dataSource.CreateCommand("delete from se_webhook_subscriptions where id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return await command.ExecuteNonQueryAsync() > 0;
    }

    public async Task<WebhookSubscription?> UpdateAsync(string id, Func<WebhookSubscription, WebhookSubscription> change)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        WebhookSubscription? current;
        await using (var read = new NpgsqlCommand($"select {Columns} from se_webhook_subscriptions where id = $1 for update", connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
            current = (await ReadAll(read)).SingleOrDefault();
        }
        if (current is null) return null;
        var updated = change(current);
        await using (var write = new NpgsqlCommand($"""
            update se_webhook_subscriptions set ({Columns}) = ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) where id = $1
            """, connection, transaction))
        {
            Bind(write, updated);
            await write.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return updated;
    }

    /// <summary>Durable mode queues deliveries inside <see cref="PostgresPlayStore.RecordAsync"/>; nothing to do here.</summary>
    public Task EnqueueAsync(IReadOnlyList<PlayChange> changes, DateTimeOffset now) => Task.CompletedTask;

    public async Task<WebhookDelivery[]> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease)
    {
        await using var command = dataSource.CreateCommand("""
            update se_webhook_deliveries d set leased_until = $1 + $3
            where d.id in (
                select d2.id from se_webhook_deliveries d2
                join se_webhook_subscriptions s on s.id = d2.subscription_id
                where d2.status = 'pending' and d2.next_attempt_at <= $1 and (d2.leased_until is null or d2.leased_until <= $1)
                  and not s.paused and s.disabled_reason is null
                order by d2.next_attempt_at, d2.id
                limit $2
                for update of d2 skip locked)
            returning d.id, d.subscription_id, d.change, d.attempts, d.next_attempt_at, d.last_error
            """);
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = lease });
        var claimed = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var change = JsonSerializer.Deserialize<StoredChange>(reader.GetString(2), PostgresPlayStore.Json)!;
            claimed.Add(new WebhookDelivery(reader.GetInt64(0), reader.GetString(1), new PlayChange(change.Position, change.Play, change.Digest), reader.GetInt32(3),
                new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero), DeliveryStatus.Pending, reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return [.. claimed];
    }

    private sealed record StoredChange(long Position, Core.Plays.Play Play, Core.Plays.PlayDigest? Digest);

    public async Task CompleteAsync(long deliveryId, DeliveryStatus status, int attempts, DateTimeOffset nextAttemptAt, string? error)
    {
        // Delivered rows have done their job; keep only what can still be sent or replayed.
        await using var command = status == DeliveryStatus.Delivered
            ? dataSource.CreateCommand("delete from se_webhook_deliveries where id = $1")
            : dataSource.CreateCommand("update se_webhook_deliveries set status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, leased_until = null where id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = deliveryId });
        if (status != DeliveryStatus.Delivered)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status == DeliveryStatus.Dead ? "dead" : "pending" });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempts });
            command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = nextAttemptAt.UtcDateTime });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        }
        await command.ExecuteNonQueryAsync();
    }

    public async Task<(int Pending, int Dead)> CountsAsync(string subscriptionId)
    {
        await using var command = dataSource.CreateCommand("""
            select count(*) filter (where status = 'pending'), count(*) filter (where status = 'dead')
            from se_webhook_deliveries where subscription_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return ((int)reader.GetInt64(0), (int)reader.GetInt64(1));
    }

    public async Task<WebhookDelivery[]> DeadLettersAsync(string subscriptionId, int max)
    {
        await using var command = dataSource.CreateCommand("""
            select id, change, attempts, next_attempt_at, last_error from se_webhook_deliveries
            where subscription_id = $1 and status = 'dead' order by id limit $2
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
        var dead = new List<WebhookDelivery>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var change = JsonSerializer.Deserialize<StoredChange>(reader.GetString(1), PostgresPlayStore.Json)!;
            dead.Add(new WebhookDelivery(reader.GetInt64(0), subscriptionId, new PlayChange(change.Position, change.Play, change.Digest), reader.GetInt32(2),
                new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero), DeliveryStatus.Dead, reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return [.. dead];
    }

    public async Task<int> ReplayAsync(string subscriptionId, long? deliveryId, DateTimeOffset now)
    {
        await using var command = dataSource.CreateCommand("""
            update se_webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = $3, last_error = null, leased_until = null
            where subscription_id = $1 and status = 'dead' and ($2::bigint is null or id = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = subscriptionId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)deliveryId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = now.UtcDateTime });
        return await command.ExecuteNonQueryAsync();
    }

    private static void Bind(NpgsqlCommand command, WebhookSubscription s)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = s.Url });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = s.Filter.Kinds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = s.Filter.Tiers, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = s.Filter.Pods, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = s.Filter.RuleIds, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = JsonSerializer.Serialize(s.Secrets, PostgresPlayStore.Json), NpgsqlDbType = NpgsqlDbType.Jsonb });
        command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = s.CreatedAt.UtcDateTime });
        command.Parameters.Add(new NpgsqlParameter<bool> { TypedValue = s.Paused });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.DisabledReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(Instant(s.FailingSince));
        command.Parameters.Add(Instant(s.LastSuccessAt));
        command.Parameters.Add(Instant(s.LastFailureAt));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)s.LastError ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
    }

    private static NpgsqlParameter Instant(DateTimeOffset? value) =>
        new() { Value = value is { } v ? v.UtcDateTime : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz };

    private static async Task<List<WebhookSubscription>> ReadAll(NpgsqlCommand command)
    {
        var list = new List<WebhookSubscription>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
            list.Add(new WebhookSubscription(
                reader.GetString(0), reader.GetString(1),
                new WebhookFilter(reader.GetFieldValue<string[]>(2), reader.GetFieldValue<int[]>(3), reader.GetFieldValue<string[]>(4), reader.GetFieldValue<string[]>(5)),
                JsonSerializer.Deserialize<WebhookSecret[]>(reader.GetString(6), PostgresPlayStore.Json)!,
                new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero), reader.GetBoolean(8), reader.IsDBNull(9) ? null : reader.GetString(9),
                At(10), At(11), At(12), reader.IsDBNull(13) ? null : reader.GetString(13)));
        }
        return list;
    }
}
