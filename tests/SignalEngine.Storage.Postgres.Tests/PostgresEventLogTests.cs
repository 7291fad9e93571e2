using SignalEngine.Core.Events;

namespace SignalEngine.Storage.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresEventLogTests(PostgresFixture fixture)
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static UsageEvent Event(string ws, string id, string? props = null) => new(id, ws, "u1", "core.x", At,
        props is null ? null : new Dictionary<string, PropertyValue> { ["s"] = PropertyValue.Of(props), ["n"] = PropertyValue.Of(4.5), ["b"] = PropertyValue.Of(true) });

    [Fact]
    public async Task Appended_events_come_back_per_workspace_in_position_order_with_their_properties()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var log = new PostgresEventLog(dataSource);

        await log.AppendAsync(3, [("a", [Event("a", "1", "x"), Event("a", "2")]), ("b", [Event("b", "1")])]);
        await log.AppendAsync(3, [("a", [Event("a", "3")])]);

        var batches = await log.ReadWorkspaceAsync("a", 0).ToListAsync();
        Assert.Equal([1L, 2L], batches.Select(b => b.LogSeq!.Value));
        Assert.Equal(["1", "2", "3"], batches.SelectMany(b => b.Events).Select(e => e.EventId));
        var first = batches[0].Events[0];
        Assert.Equal(At, first.Timestamp);
        Assert.Equal("x", first.Properties!["s"].Text);
        Assert.Equal(4.5, first.Properties["n"].Number);
        Assert.True(first.Properties["b"].Boolean);
        Assert.Equal(["3"], (await log.ReadWorkspaceAsync("a", 1).ToListAsync()).SelectMany(b => b.Events).Select(e => e.EventId));
    }

    [Fact]
    public async Task Concurrent_appends_get_dense_positions_per_partition()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var log = new PostgresEventLog(dataSource);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => log.AppendAsync(1, [($"w{i}", [Event($"w{i}", "e")])])));

        var positions = new List<long>();
        for (var i = 0; i < 40; i++) positions.AddRange((await log.ReadWorkspaceAsync($"w{i}", 0).ToListAsync()).Select(b => b.LogSeq!.Value));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), positions.Order());
    }

    [Fact]
    public async Task Recent_event_ids_rebuild_a_partitions_window_newest_first()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var log = new PostgresEventLog(dataSource);
        await log.AppendAsync(2, [("a", [Event("a", "1"), Event("a", "2")])]);
        await log.AppendAsync(2, [("b", [Event("b", "3")])]);
        await log.AppendAsync(5, [("c", [Event("c", "other-partition")])]);

        var ids = await log.RecentEventIdsAsync(2, DateTimeOffset.UtcNow.AddHours(-1), 10).ToListAsync();

        Assert.Equal([("b", "3"), ("a", "1"), ("a", "2")], ids.Select(i => (i.WorkspaceId, i.EventId)));
        Assert.Equal(2, (await log.RecentEventIdsAsync(2, DateTimeOffset.UtcNow.AddHours(-1), 2).ToListAsync()).Count);
    }
}
