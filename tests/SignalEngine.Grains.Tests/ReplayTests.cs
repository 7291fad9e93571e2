using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains.Tests;

[Collection(EngineClusterCollection.Name)]
public sealed class ReplayTests(EngineClusterFixture fixture)
{
    /// <summary>90 days of a workspace's life: a healthy team, a limit hit, a sponsor change, escalations, then a usage drop.</summary>
    private static List<(string Id, string? User, string Name, DateTimeOffset At)> History(DateTimeOffset today)
    {
        var random = new Random(42);
        var history = new List<(string, string?, string, DateTimeOffset)>();
        var id = 0;
        for (var daysAgo = 89; daysAgo >= 0; daysAgo--)
        {
            var day = today.Date.AddDays(-daysAgo);
            var at = new DateTimeOffset(day, TimeSpan.Zero).AddHours(9);
            // 12 users until 30 days ago, then only 6: a drop of active users and of core usage.
            var users = daysAgo > 30 ? 12 : 6;
            for (var u = 0; u < users; u++)
            {
                if (random.Next(10) < 2) continue;
                history.Add(($"e{id++}", $"u{u}", $"core.feature_{random.Next(5)}", at.AddMinutes(random.Next(480))));
                if (u < 4 && random.Next(3) == 0) history.Add(($"e{id++}", $"u{u}", "module.analytics.report_built", at.AddMinutes(random.Next(480))));
            }
            if (daysAgo == 70) history.Add(($"e{id++}", "u1", "limit.reached", at));
            if (daysAgo == 50) history.Add(($"e{id++}", null, "crm.sponsor_changed", at));
            if (daysAgo is 20 or 12) history.Add(($"e{id++}", null, "support.ticket_escalated", at));
        }
        return history;
    }

    private async Task Ingest(string workspace, IEnumerable<(string Id, string? User, string Name, DateTimeOffset At)> events)
    {
        var batch = events.Select(e => new UsageEvent(e.Id, workspace, e.User, e.Name, e.At)).ToArray();
        await fixture.Client.GetGrain<IIngestPartitionGrain>(WorkspacePartitioner.PartitionOf(workspace, 16)).Ingest(new EventBatch(batch));
    }

    private async Task<HashSet<(string RuleId, string? Subject, DateOnly EpisodeStart, PlayStatus Status)>> Plays(string workspace)
    {
        var plays = await fixture.Client.GetGrain<IPlayLedgerGrain>(0).Query(new PlayQuery { WorkspaceId = workspace, Limit = PlayQuery.MaxLimit });
        return plays.Where(p => p.Status != PlayStatus.Retracted).Select(p => (p.RuleId, p.Subject, p.EpisodeStart, p.Status)).ToHashSet();
    }

    [Fact]
    public async Task Replaying_history_shuffled_and_with_duplicates_gives_the_same_plays_as_living_it()
    {
        var today = DateTimeOffset.UtcNow;
        var history = History(today);
        var live = "live-" + Guid.NewGuid().ToString("N");
        var replay = "replay-" + Guid.NewGuid().ToString("N");
        var profile = new WorkspaceProfile
        {
            Name = "Acme", CreatedAt = today.AddDays(-400), Tier = 1, SeatsPurchased = 13, Csm = "Dana", AccountManager = "Ari",
            Pilots = new Dictionary<string, IReadOnlyList<string>> { ["analytics"] = ["u0", "u1", "u2", "u3"] },
        };
        await fixture.Client.GetGrain<IWorkspaceGrain>(live).SetProfile(profile);
        await fixture.Client.GetGrain<IWorkspaceGrain>(replay).SetProfile(profile);

        // Live: one batch per day, in order.
        foreach (var day in history.GroupBy(e => e.At.UtcDateTime.Date).OrderBy(g => g.Key)) await Ingest(live, day);

        // Replay: shuffled, in batches of random size, with a fifth of the events sent twice.
        var random = new Random(7);
        var shuffled = history.Concat(history.Where(_ => random.Next(5) == 0)).OrderBy(_ => random.Next()).ToList();
        for (var i = 0; i < shuffled.Count;)
        {
            var size = random.Next(1, 200);
            await Ingest(replay, shuffled.Skip(i).Take(size));
            i += size;
        }

        var liveView = await Eventually.Until(() => fixture.Client.GetGrain<IWorkspaceGrain>(live).GetView(), v => v?.Metrics.EventsApplied == history.Count, "live history applied");
        var replayView = await Eventually.Until(() => fixture.Client.GetGrain<IWorkspaceGrain>(replay).GetView(), v => v?.Metrics.EventsApplied == history.Count, "replayed history applied");

        var livePlays = await Plays(live);
        var replayPlays = await Plays(replay);
        Assert.Contains(livePlays, p => p.RuleId == "churn.active_users_drop");
        Assert.Contains(livePlays, p => p.RuleId == "risk.sponsor_change" && p.Status == PlayStatus.Resolved);
        Assert.Contains(livePlays, p => p.RuleId == "risk.support_escalation");
        Assert.Equal(livePlays.OrderBy(p => p.ToString()), replayPlays.OrderBy(p => p.ToString()));
        Assert.Equal(liveView!.Metrics with { ModuleActiveUsers28d = null! }, replayView!.Metrics with { ModuleActiveUsers28d = null! });
    }
}
