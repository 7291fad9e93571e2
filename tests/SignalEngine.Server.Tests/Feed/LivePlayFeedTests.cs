using SignalEngine.Core.Plays;
using SignalEngine.Grains;
using SignalEngine.Server.Feed;

namespace SignalEngine.Server.Tests.Feed;

/// <summary>When a pushed batch continues the feed as it is, and when only the store can fill the gap before it.</summary>
public sealed class LivePlayFeedTests
{
    private static readonly Play Some = new()
    {
        PlayId = "pl_1", WorkspaceId = "ws", RuleId = "expansion.usage_limit", EpisodeStart = new DateOnly(2026, 11, 23), Kind = PlayKind.Expansion,
        Severity = Severity.Medium, Title = "t", FiredAt = DateTimeOffset.UnixEpoch, EventTime = DateTimeOffset.UnixEpoch,
        Owner = new PlayOwner(OwnerRole.AccountManager, "Ari"), Tier = 1, Evidence = new Evidence("m", 1, null, null, 1, "7d", ">="),
        Health = new HealthAtFiring(80, "green"),
    };

    private static PlayChange[] At(params long[] positions) => [.. positions.Select(p => new PlayChange(p, Some))];

    [Theory]
    [InlineData(new long[] { 11, 12, 13 }, 10, 3)]   // the next positions
    [InlineData(new long[] { 9, 10, 11 }, 10, 3)]    // some already published (an overtaken push): skipped
    [InlineData(new long[] { 12, 13 }, 10, 0)]       // position 11 never arrived
    [InlineData(new long[] { 11, 13, 14 }, 10, 1)]   // a hole inside the batch
    [InlineData(new long[] { 11, 12, 11 }, 10, 3)]   // a repeat of a position just taken
    [InlineData(new long[0], 10, 0)]
    public void A_push_continues_the_feed_up_to_its_first_gap(long[] positions, long feedAt, int continuing)
    {
        Assert.Equal(continuing, LivePlayFeed.ContinuingCount(At(positions), feedAt));
    }
}
