using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains.Tests;

[Collection(EngineClusterCollection.Name)]
public sealed class WorkspaceGrainTests(EngineClusterFixture fixture)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static UsageEvent Event(string workspace, string id, string? user, string name, DateTimeOffset? at = null) =>
        new(id, workspace, user, name, at ?? Now);

    private static WorkspaceProfile Profile(int seats = 10, int tier = 1) => new()
    {
        Name = "Acme",
        CreatedAt = Now.AddDays(-30),
        Tier = tier,
        SeatsPurchased = seats,
        Csm = "Dana",
        AccountManager = "Ari",
        Pod = "emea-1",
        Pilots = new Dictionary<string, IReadOnlyList<string>> { ["analytics"] = ["u1", "u2"] },
    };

    private Task<IngestReceipt> Ingest(params UsageEvent[] events)
    {
        var partition = WorkspacePartitioner.PartitionOf(events[0].WorkspaceId, 16);
        return fixture.Client.GetGrain<IIngestPartitionGrain>(partition).Ingest(new EventBatch(events));
    }

    private Task<WorkspaceView?> View(string workspace) => fixture.Client.GetGrain<IWorkspaceGrain>(workspace).GetView();

    private Task<WorkspaceView?> ViewWhenApplied(string workspace, long events) =>
        Eventually.Until(() => View(workspace), v => v?.Metrics.EventsApplied >= events, $"{events} events applied to {workspace}");

    [Fact]
    public async Task Events_reach_the_workspace_through_its_stream_and_count_distinct_users()
    {
        var ws = "ws-" + Guid.NewGuid().ToString("N");
        var receipt = await Ingest(
            Event(ws, "a", "u1", "core.report_viewed"),
            Event(ws, "b", "u2", "core.report_viewed"),
            Event(ws, "c", "u1", "core.dashboard_opened", Now.AddDays(-10)),
            Event(ws, "d", null, "crm.note_added"));

        Assert.All(receipt.Duplicate, d => Assert.False(d));
        var view = await ViewWhenApplied(ws, 4);
        Assert.Equal(4, view!.Metrics.EventsApplied);
        Assert.Equal(2, view.Metrics.ActiveUsers7d);
        Assert.Equal(2, view.Metrics.ActiveUsers28d);
        Assert.Equal(2, view.Metrics.CoreEvents7d);
        Assert.Equal(3, view.Metrics.CoreEvents28d);
    }

    [Fact]
    public async Task A_retried_batch_is_reported_as_duplicates_and_not_applied_twice()
    {
        var ws = "ws-" + Guid.NewGuid().ToString("N");
        var batch = new[] { Event(ws, "a", "u1", "core.x"), Event(ws, "b", "u2", "core.x") };
        await Ingest(batch);
        await ViewWhenApplied(ws, 2);

        var retry = await Ingest([.. batch, Event(ws, "c", "u3", "core.x")]);

        Assert.Equal([true, true, false], retry.Duplicate);
        // A workspace's stream is ordered: once the marker is applied, a wrongly re-applied retry would show too.
        await Ingest(Event(ws, "marker", "u4", "core.x"));
        var view = await ViewWhenApplied(ws, 4);
        Assert.Equal(4, view!.Metrics.EventsApplied);
    }

    [Fact]
    public async Task The_same_event_id_in_two_workspaces_is_two_events()
    {
        var first = "ws-" + Guid.NewGuid().ToString("N");
        var second = "ws-" + Guid.NewGuid().ToString("N");
        var a = await Ingest(Event(first, "same", "u1", "core.x"));
        var b = await Ingest(Event(second, "same", "u1", "core.x"));
        Assert.False(a.Duplicate[0]);
        Assert.False(b.Duplicate[0]);
    }

    [Fact]
    public async Task Seat_pressure_fires_once_to_the_account_manager_and_reaches_the_ledger_and_its_observers()
    {
        var ws = "ws-" + Guid.NewGuid().ToString("N");
        var observer = new RecordingObserver();
        var reference = fixture.Client.CreateObjectReference<IPlayObserver>(observer);
        var ledger = fixture.Client.GetGrain<IPlayLedgerGrain>(0);
        await ledger.Subscribe(reference);
        try
        {
            await fixture.Client.GetGrain<IWorkspaceGrain>(ws).SetProfile(Profile(seats: 3));
            await Ingest(Event(ws, "a", "u1", "core.x"), Event(ws, "b", "u2", "core.x"), Event(ws, "c", "u3", "core.x"));
            await ViewWhenApplied(ws, 3);
            // More usage while the condition holds: still the same episode.
            await Ingest(Event(ws, "d", "u4", "core.x"));
            await ViewWhenApplied(ws, 4);

            var plays = await Eventually.Until(() => ledger.Query(new PlayQuery { WorkspaceId = ws }), p => p.Length >= 1, "the play in the ledger");
            var play = Assert.Single(plays);
            Assert.Equal("expansion.seat_pressure", play.RuleId);
            Assert.Equal(PlayKind.Expansion, play.Kind);
            Assert.Equal(new PlayOwner(OwnerRole.AccountManager, "Ari"), play.Owner);
            Assert.Equal(Play.IdFor(ws, "expansion.seat_pressure", null, EventDay.Of(Now)), play.PlayId);
            Assert.Equal(1, play.Tier);
            Assert.Equal("emea-1", play.Pod);

            var seen = await Eventually.Until(() => Task.FromResult(observer.Plays.Where(p => p.WorkspaceId == ws).ToList()), p => p.Count >= 1, "the play at the observer");
            Assert.Equal(play.PlayId, Assert.Single(seen).PlayId);

            var view = await View(ws);
            Assert.Equal(play.PlayId, Assert.Single(view!.OpenPlays).PlayId);
        }
        finally
        {
            await ledger.Unsubscribe(reference);
        }
    }

    [Fact]
    public async Task Tier_3_plays_go_to_the_digital_channel()
    {
        var ws = "ws-" + Guid.NewGuid().ToString("N");
        await fixture.Client.GetGrain<IWorkspaceGrain>(ws).SetProfile(Profile(tier: 3));
        await Ingest(Event(ws, "a", "u1", "crm.sponsor_changed"));
        var view = await Eventually.Until(() => View(ws), v => v?.OpenPlays.Length >= 1, "the sponsor change play");
        var play = Assert.Single(view!.OpenPlays);
        Assert.Equal("risk.sponsor_change", play.RuleId);
        Assert.Equal(OwnerRole.Digital, play.Owner.Role);
    }

    [Fact]
    public async Task A_deactivated_workspace_comes_back_with_its_state()
    {
        var ws = "ws-" + Guid.NewGuid().ToString("N");
        var grain = fixture.Client.GetGrain<IWorkspaceGrain>(ws);
        await grain.SetProfile(Profile(seats: 2));
        await Ingest(Event(ws, "a", "u1", "core.x"), Event(ws, "b", "u2", "limit.reached"));
        var before = await Eventually.Until(() => View(ws), v => v?.OpenPlays.Length >= 2, "two plays open");

        await fixture.Cluster.DeactivateAsync(grain);
        await fixture.Cluster.WaitForDeactivationAsync(grain);

        var after = await View(ws);
        Assert.Equal(before!.Metrics, after!.Metrics with { ModuleActiveUsers28d = before.Metrics.ModuleActiveUsers28d });
        Assert.Equal(before.OpenPlays.Select(p => p.PlayId).Order(), after.OpenPlays.Select(p => p.PlayId).Order());
        Assert.Equal("Acme", after.Profile!.Name);

        // Re-activated from its compressed snapshot, it goes on applying what its stream brings, once each.
        await Ingest(Event(ws, "c", "u3", "core.y"), Event(ws, "a", "u1", "core.x"));
        var later = await ViewWhenApplied(ws, 3);
        Assert.Equal(3, later!.Metrics.EventsApplied);
        Assert.Equal(3, later.Metrics.KnownUsers);
    }

    [Fact]
    public async Task An_unknown_workspace_has_no_view()
    {
        Assert.Null(await View("ws-" + Guid.NewGuid().ToString("N")));
    }

    private sealed class RecordingObserver : IPlayObserver
    {
        private readonly List<Play> _plays = [];

        public IReadOnlyList<Play> Plays
        {
            get { lock (_plays) return [.. _plays]; }
        }

        public Task OnPlayChanges(PlayChangeBatch batch)
        {
            lock (_plays) _plays.AddRange(batch.Changes.Select(c => c.Play));
            return Task.CompletedTask;
        }
    }
}
