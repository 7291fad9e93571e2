using SignalEngine.Core.Plays;

namespace SignalEngine.Grains.Tests;

/// <summary>The memory play store's feed: changes in position order, paged after a position, trimmed to the retention.</summary>
public sealed class MemoryPlayStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static Play Play(string id, PlayStatus status = PlayStatus.Open) => new()
    {
        PlayId = id, WorkspaceId = "ws", RuleId = "expansion.usage_limit", EpisodeStart = new DateOnly(2026, 11, 23), Kind = PlayKind.Expansion,
        Severity = Severity.Medium, Title = "t", FiredAt = Now, EventTime = Now.AddHours(-1), Owner = new PlayOwner(OwnerRole.AccountManager, "Ari"),
        Tier = 1, Evidence = new Evidence("count(limit.reached)", 1, null, null, 1, "7d", ">=", "d"), Health = new HealthAtFiring(80, "green"),
        Status = status,
    };

    private static MemoryPlayStore Store(int retained) =>
        new(new PlayLedgerOptions { MaxRetainedPlays = retained }, new MemoryWebhookStore(), TimeProvider.System);

    [Fact]
    public async Task Changes_after_a_position_come_in_order_and_in_pages()
    {
        var store = Store(100);
        await store.RecordAsync([.. Enumerable.Range(1, 10).Select(i => Play($"p{i}"))]);

        Assert.Equal([4L, 5, 6], (await store.ChangesAfterAsync(3, 3)).Select(c => c.Position));
        Assert.Equal([9L, 10], (await store.ChangesAfterAsync(8, 500)).Select(c => c.Position));
        Assert.Empty(await store.ChangesAfterAsync(10, 500));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), (await store.ChangesAfterAsync(0, 500)).Select(c => c.Position));
        Assert.Empty(await store.ChangesAfterAsync(0, 0));
    }

    [Fact]
    public async Task Only_the_retained_changes_are_read_back_and_a_reader_behind_them_resumes_at_the_oldest()
    {
        var store = Store(1_000);
        // Enough trimmed changes that the retained ones are compacted to the front at least once.
        for (var wave = 0; wave < 5; wave++)
            await store.RecordAsync([.. Enumerable.Range(0, 1_000).Select(i => Play($"w{wave}-{i}"))]);
        await store.RecordAsync([Play("w4-0", PlayStatus.Resolved)]);

        var all = await store.ChangesAfterAsync(0, 5_000);
        Assert.Equal(1_000, all.Length);
        Assert.Equal(Enumerable.Range(4_002, 1_000).Select(i => (long)i), all.Select(c => c.Position));
        Assert.Equal(PlayStatus.Resolved, all[^1].Play.Status);
        Assert.Equal([4_501L, 4_502], (await store.ChangesAfterAsync(4_500, 2)).Select(c => c.Position));
        Assert.Equal(5_001, await store.HeadAsync());
        // The trimmed change's event id no longer resolves; a retained one does.
        Assert.Null(await store.PositionOfAsync(PlayChange.EventIdOf(Play("w0-0"))));
        Assert.Equal(5_001, await store.PositionOfAsync(PlayChange.EventIdOf(Play("w4-0", PlayStatus.Resolved))));
    }
}
