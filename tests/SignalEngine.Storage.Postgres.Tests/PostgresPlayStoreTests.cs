using Npgsql;
using SignalEngine.Core.Plays;

namespace SignalEngine.Storage.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresPlayStoreTests(PostgresFixture fixture)
{
    private static Play Play(string id, string ws, PlayKind kind = PlayKind.Expansion, PlayStatus status = PlayStatus.Open, bool shadow = false, int minutes = 0) => new()
    {
        PlayId = id, WorkspaceId = ws, RuleId = "expansion.usage_limit", EpisodeStart = new DateOnly(2026, 11, 23), Kind = kind,
        Severity = Severity.Medium, Title = "t", FiredAt = new DateTimeOffset(2026, 11, 23, 10, minutes, 0, TimeSpan.Zero),
        EventTime = new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), Owner = new PlayOwner(OwnerRole.AccountManager, "Ari"),
        Tier = 1, Evidence = new Evidence("count(limit.reached)", 1, null, null, 1, "7d", ">=", "d"), Health = new HealthAtFiring(80, "green"),
        Status = status, Shadow = shadow,
    };

    [Fact]
    public async Task Recording_is_idempotent_and_a_status_change_keeps_the_first_firing_time()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var store = new PostgresPlayStore(dataSource);

        var first = await store.RecordAsync([Play("p1", "a"), Play("p2", "a", minutes: 5)]);
        var again = await store.RecordAsync([Play("p1", "a")]);
        var resolved = await store.RecordAsync([Play("p1", "a", status: PlayStatus.Resolved, minutes: 30)]);

        Assert.Equal(["p1", "p2"], first.Select(c => c.Play.PlayId));
        Assert.Empty(again);
        var play = Assert.Single(resolved).Play;
        Assert.Equal(PlayStatus.Resolved, play.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero), play.FiredAt);
        Assert.Equal(Play("p2", "a", minutes: 5), (await store.QueryAsync(new PlayQuery { WorkspaceId = "a", RuleId = "expansion.usage_limit" }))[0]);
    }

    [Fact]
    public async Task Queries_filter_and_order_newest_first()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var store = new PostgresPlayStore(dataSource);
        await store.RecordAsync([Play("p1", "a", minutes: 1), Play("p2", "a", PlayKind.ChurnRisk, minutes: 2), Play("p3", "b", minutes: 3), Play("s1", "a", shadow: true, minutes: 4)]);

        Assert.Equal(["p3", "p2", "p1"], (await store.QueryAsync(new PlayQuery())).Select(p => p.PlayId));
        Assert.Equal(["p2", "p1"], (await store.QueryAsync(new PlayQuery { WorkspaceId = "a" })).Select(p => p.PlayId));
        Assert.Equal(["p2"], (await store.QueryAsync(new PlayQuery { Kind = PlayKind.ChurnRisk })).Select(p => p.PlayId));
        Assert.Equal(["p3", "p2"], (await store.QueryAsync(new PlayQuery { Since = new DateTimeOffset(2026, 11, 23, 10, 2, 0, TimeSpan.Zero) })).Select(p => p.PlayId));
        Assert.Equal(["p3"], (await store.QueryAsync(new PlayQuery { Limit = 1 })).Select(p => p.PlayId));
        Assert.Equal(["s1"], (await store.QueryAsync(new PlayQuery { Shadow = true })).Select(p => p.PlayId));
    }

    [Fact]
    public async Task A_feed_write_waits_while_another_writer_holds_the_feed_so_positions_become_visible_in_order()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var store = new PostgresPlayStore(dataSource);
        await store.RecordAsync([Play("p1", "a")]);

        // Another writer mid-transaction (a second ledger activation, say): it holds the feed's lock.
        await using var other = await dataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand($"select pg_advisory_xact_lock({PostgresPlayStore.FeedWriteLock})", other, transaction))
            await take.ExecuteNonQueryAsync();

        var play = store.RecordAsync([Play("p2", "a", minutes: 1)]);
        var digest = store.RecordDigestAsync(new PlayDigest("Ari", new DateOnly(2026, 11, 23), [Play("p1", "a")]));
        // Both wait for the lock (seen in pg_locks), so neither can take a position the other writer could commit after.
        await using (var waiting = new NpgsqlCommand("select count(*) from pg_locks where locktype = 'advisory' and not granted", other, transaction))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while ((long)(await waiting.ExecuteScalarAsync())! < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the writes never waited for the feed's lock");
                await Task.Delay(20);
            }
        }
        Assert.False(play.IsCompleted);
        Assert.False(digest.IsCompleted);

        await transaction.CommitAsync();
        Assert.Equal("p2", Assert.Single(await play).Play.PlayId);
        Assert.NotNull(await digest);
        var feed = await store.ChangesAfterAsync(0, 10);
        Assert.Equal(3, feed.Length);
        Assert.Equal(feed.Select(c => c.Position).Order(), feed.Select(c => c.Position));
    }
}
