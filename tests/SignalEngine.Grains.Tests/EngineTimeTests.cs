using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains.Tests;

/// <summary>Time-based plays for workspaces that send nothing: the engine clock, the time wheel and deactivated grains.</summary>
public sealed class EngineTimeTests(FakeClockClusterFixture fixture) : IClassFixture<FakeClockClusterFixture>
{
    [Fact]
    public async Task A_silent_deactivated_workspace_gets_its_silence_play_when_the_clock_moves_on()
    {
        var start = fixture.Time.GetUtcNow();
        var ws = "silent-" + Guid.NewGuid().ToString("N");
        var grain = fixture.Client.GetGrain<IWorkspaceGrain>(ws);
        var partition = WorkspacePartitioner.PartitionOf(ws, 16);
        await fixture.Client.GetGrain<IIngestPartitionGrain>(partition).Ingest(new EventBatch(
        [
            new UsageEvent("a", ws, "u1", "core.report_viewed", start),
            new UsageEvent("b", ws, "u2", "core.report_viewed", start),
        ]));
        await Eventually.Until(() => grain.GetView(), v => v?.Metrics.EventsApplied == 2, "events applied");
        var clock = fixture.Client.GetGrain<IEngineClockGrain>(0);
        var wheel = fixture.Client.GetGrain<ITimeWheelGrain>(0);
        await clock.Advance(start);

        await fixture.Cluster.DeactivateAsync(grain);
        await fixture.Cluster.WaitForDeactivationAsync(grain);

        // 13 days of quiet: nothing is due yet.
        fixture.Time.Advance(TimeSpan.FromDays(13));
        var engineTime = await clock.Advance(null);
        Assert.Equal(fixture.Time.GetUtcNow(), engineTime);
        await wheel.Advance(engineTime!.Value);
        var ledger = fixture.Client.GetGrain<IPlayLedgerGrain>(0);
        Assert.Empty(await ledger.Query(new PlayQuery { WorkspaceId = ws }));

        // Past 14 days: the wheel wakes the workspace and churn.silence fires, to the CSM.
        fixture.Time.Advance(TimeSpan.FromDays(2));
        engineTime = await clock.Advance(null);
        var woken = await wheel.Advance(engineTime!.Value);

        Assert.True(woken >= 1);
        var plays = await Eventually.Until(() => ledger.Query(new PlayQuery { WorkspaceId = ws }), p => p.Length > 0, "the silence play");
        var play = Assert.Single(plays);
        Assert.Equal("churn.silence", play.RuleId);
        Assert.Equal(PlayKind.ChurnRisk, play.Kind);
        Assert.Equal(OwnerRole.Csm, play.Owner.Role);
        Assert.True(play.Evidence.Value >= 14);
    }

    [Fact]
    public async Task The_engine_clock_follows_event_time_and_only_falls_back_to_the_clock_when_idle()
    {
        var clock = fixture.Client.GetGrain<IEngineClockGrain>(0);
        var now = fixture.Time.GetUtcNow();
        var ahead = await clock.Advance(now.AddMinutes(5));
        Assert.Equal(now.AddMinutes(5), ahead);
        // An older event time never moves the clock back.
        Assert.Equal(now.AddMinutes(5), await clock.Advance(now.AddDays(-3)));
    }

    [Fact]
    public async Task Workspaces_of_a_segment_share_a_peer_median_and_the_laggard_gets_adoption_below_peers()
    {
        var segment = "seg-" + Guid.NewGuid().ToString("N");
        var now = fixture.Time.GetUtcNow();
        async Task<string> Workspace(int features)
        {
            var ws = "peer-" + Guid.NewGuid().ToString("N");
            var grain = fixture.Client.GetGrain<IWorkspaceGrain>(ws);
            await grain.SetProfile(new WorkspaceProfile { Name = ws, CreatedAt = now.AddDays(-300), Tier = 2, Segment = segment, Csm = "Dana" });
            var events = Enumerable.Range(0, features).Select(f => new UsageEvent($"f{f}", ws, "u1", $"core.feature_{f}", now)).ToArray();
            await fixture.Client.GetGrain<IIngestPartitionGrain>(WorkspacePartitioner.PartitionOf(ws, 16)).Ingest(new EventBatch(events));
            await Eventually.Until(() => grain.GetView(), v => v?.Metrics.EventsApplied == features, "events applied");
            return ws;
        }

        foreach (var features in new[] { 10, 10, 10, 12 }) await Workspace(features);
        var laggard = await Workspace(3);
        // The laggard reported last and saw 5 workspaces with median 10: 3 < 50% of 10.
        var ledger = fixture.Client.GetGrain<IPlayLedgerGrain>(0);
        var plays = await Eventually.Until(() => ledger.Query(new PlayQuery { WorkspaceId = laggard }), p => p.Length > 0, "the below-peers play");
        var play = Assert.Single(plays);
        Assert.Equal("adoption.below_peers", play.RuleId);
        Assert.Equal(10, play.Evidence.Baseline);
        Assert.Equal(3, play.Evidence.Value);
    }
}
