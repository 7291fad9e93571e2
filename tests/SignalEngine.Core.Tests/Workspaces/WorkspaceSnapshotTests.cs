using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.EventFactory;

namespace SignalEngine.Core.Tests.Workspaces;

public class WorkspaceSnapshotTests
{
    private readonly EventFactory _events = new();
    private int _minute;

    private DateTimeOffset Processing() => T0.AddHours(1).AddMinutes(++_minute);

    private static Workspace RoundTrip(Workspace workspace, RuleCatalogue? catalogue = null) =>
        Workspace.FromSnapshot(workspace.ToSnapshot(), catalogue ?? RuleCatalogue.Default, HealthModel.Default);

    private static void AssertSameState(Workspace expected, Workspace actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        WorkspaceAssert.ProfileEqual(expected.Profile, actual.Profile);
        Assert.Equal(expected.EventsApplied, actual.EventsApplied);
        Assert.Equal(expected.Watermark, actual.Watermark);
        Assert.Equal(expected.ActivatedAt, actual.ActivatedAt);
        Assert.Equal(expected.HasSupportData, actual.HasSupportData);
        Assert.Equal(expected.HasCrmData, actual.HasCrmData);
        Assert.Equal(expected.FirstUserActivityDay, actual.FirstUserActivityDay);
        Assert.Equal(expected.SurveyScoreAsOf(expected.WatermarkDay), actual.SurveyScoreAsOf(actual.WatermarkDay));
        Assert.Equal(expected.Exists, actual.Exists);
        Assert.Equal(expected.KnownModules.Order(StringComparer.Ordinal), actual.KnownModules.Order(StringComparer.Ordinal));
        WorkspaceAssert.MetricsEqual(expected.Metrics(), actual.Metrics());
        WorkspaceAssert.HealthEqual(expected.Health(), actual.Health());
        WorkspaceAssert.OpenPlaysEqual(expected, actual);
    }

    private static void AssertSameChanges(IReadOnlyList<Play> expected, IReadOnlyList<Play> actual) =>
        Assert.Equal(expected.OrderBy(p => p.PlayId, StringComparer.Ordinal), actual.OrderBy(p => p.PlayId, StringComparer.Ordinal));

    /// <summary>A workspace with a profile, users, modules, features, signals, a survey, a resolved episode and four open plays.</summary>
    private Workspace Busy()
    {
        var profile = WorkspaceFactory.Profile(seats: 10, tier: 2, pilots: new Dictionary<string, IReadOnlyList<string>>
        {
            ["reports"] = WorkspaceFactory.Users("p", 5),
            ["billing"] = WorkspaceFactory.Users("b", 4),
        }) with { CreatedAt = new DateTimeOffset(2025, 1, 15, 9, 30, 0, TimeSpan.FromHours(2)) };
        var workspace = WorkspaceFactory.WithProfile(profile);

        // A first episode of the usage limit: fired, then resolved a week later.
        Assert.Single(workspace.Apply([_events.LimitReached(T0.AddDays(-20)), _events.Active("u0", T0.AddDays(-20))], Processing()));
        Assert.Equal(PlayStatus.Resolved, Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(-13))], Processing())).Status);

        var batch = new List<UsageEvent>();
        batch.AddRange(_events.ActiveUsers(0, 5, T0.AddDays(-3)));
        batch.AddRange(Enumerable.Range(0, 4).Select(i => _events.ModuleUse("reports", $"p{i}", T0.AddDays(-2))));
        batch.Add(_events.ModuleUse("billing", "b0", T0.AddDays(-2)));
        batch.Add(_events.ModuleUse("chat", "u1", T0.AddDays(-1)));
        batch.Add(_events.Active("u1", T0.AddDays(-1), "core.dashboard_created"));
        batch.Add(_events.LimitReached(T0.AddDays(-1)));
        batch.Add(_events.SponsorChanged(T0));
        batch.Add(_events.Escalation(T0.AddDays(-5)));
        batch.Add(_events.Survey(7.5, T0.AddDays(-4)));
        batch.Add(_events.Onboarded(T0.AddDays(-10)));
        var fired = workspace.Apply(batch, Processing());

        Assert.Equal(
            ["expansion.module_adoption", "expansion.seat_pressure", "expansion.usage_limit", "risk.sponsor_change"],
            fired.Select(p => p.RuleId).Order(StringComparer.Ordinal));
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(-1)), workspace.OpenPlays.Single(p => p.RuleId == "expansion.usage_limit").EpisodeStart);
        return workspace;
    }

    [Fact]
    public void A_busy_workspace_round_trips_with_equal_metrics_health_and_open_plays()
    {
        var original = Busy();
        var restored = RoundTrip(original);
        AssertSameState(original, restored);
        Assert.Equal(4, restored.OpenPlays.Count());
    }

    [Fact]
    public void A_restored_workspace_snapshots_to_the_same_bytes()
    {
        var original = Busy();
        var snapshot = original.ToSnapshot();
        Assert.Equal(snapshot, RoundTrip(original).ToSnapshot());
        Assert.Equal(Workspace.FormatVersion, snapshot[0]);
    }

    [Fact]
    public void A_restored_workspace_keeps_behaving_like_the_original()
    {
        var original = Busy();
        var restored = RoundTrip(original);

        // More of the same: nothing fires on either side.
        List<UsageEvent> more = [.. _events.ActiveUsers(5, 5, T0.AddHours(1)), _events.ModuleUse("reports", "p4", T0.AddHours(1)), _events.LimitReached(T0.AddHours(1))];
        var processing = Processing();
        Assert.Empty(original.Apply(more, processing));
        Assert.Empty(restored.Apply(more, processing));
        AssertSameState(original, restored);

        // Forty days on everything clears: four resolutions, the same on both sides; the silent weeks in
        // between fired churn.silence, which the returning user resolves at once.
        List<UsageEvent> later = [_events.Active("u0", T0.AddDays(40))];
        processing = Processing();
        var expected = original.Apply(later, processing);
        var actual = restored.Apply(later, processing);
        Assert.Equal(
            ["churn.silence", "expansion.module_adoption", "expansion.seat_pressure", "expansion.usage_limit", "risk.sponsor_change"],
            expected.Select(p => p.RuleId).Order(StringComparer.Ordinal));
        Assert.All(expected, p => Assert.Equal(PlayStatus.Resolved, p.Status));
        AssertSameChanges(expected, actual);
        AssertSameState(original, restored);

        // And the next limit is a new episode on both, starting that day. Day 40 is complete now, but its
        // 21-day window (20..40) has data on one day against two (-1, 0) in the window before: no data, no drop.
        List<UsageEvent> again = [_events.LimitReached(T0.AddDays(41))];
        processing = Processing();
        var next = original.Apply(again, processing);
        AssertSameChanges(next, restored.Apply(again, processing));
        Assert.Equal(["expansion.usage_limit"], next.Select(p => p.RuleId));
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(41)), WorkspaceFactory.Single(next, "expansion.usage_limit").EpisodeStart);
        AssertSameState(original, restored);

        // Once day 41 is complete, its window (21..41) has data on two days (40, 41) against one (0) before:
        // judged, one active user (u0) against six on day 0 (u5..u9, p4): churn.active_users_drop on both, from day 41.
        List<UsageEvent> dayAfter = [_events.Heartbeat(T0.AddDays(42))];
        processing = Processing();
        var drop = original.Apply(dayAfter, processing);
        AssertSameChanges(drop, restored.Apply(dayAfter, processing));
        var play = WorkspaceFactory.Single(drop, "churn.active_users_drop");
        // The open churn risk now holds the open limit play back (inhibition): that is a change too.
        Assert.Equal(["churn.active_users_drop", "expansion.usage_limit"], drop.Select(p => p.RuleId).Order(StringComparer.Ordinal));
        Assert.Equal(play.PlayId, WorkspaceFactory.Single(drop, "expansion.usage_limit").HeldBy);
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(41)), play.EpisodeStart);
        Assert.Equal((1, 6), (play.Evidence.Value, play.Evidence.Baseline));
        AssertSameState(original, restored);
    }

    [Fact]
    public void A_profile_change_after_restoring_has_the_same_effect()
    {
        var original = Busy();
        var restored = RoundTrip(original);
        var profile = WorkspaceFactory.Profile(seats: 1_000, tier: 3);
        var processing = Processing();
        AssertSameChanges(original.SetProfile(profile, processing), restored.SetProfile(profile, processing));
        AssertSameState(original, restored);
    }

    [Fact]
    public void An_empty_workspace_round_trips()
    {
        var original = WorkspaceFactory.New("ws_empty");
        var restored = RoundTrip(original);
        AssertSameState(original, restored);
        Assert.Null(restored.Profile);
        Assert.False(restored.Exists);
    }

    [Fact]
    public void A_profile_with_null_optionals_round_trips()
    {
        var original = WorkspaceFactory.WithProfile(new WorkspaceProfile { Name = "Bare", CreatedAt = T0, Tier = 1 });
        var restored = RoundTrip(original);
        WorkspaceAssert.ProfileEqual(original.Profile, restored.Profile);
        Assert.Null(restored.Profile!.SeatsPurchased);
        Assert.Null(restored.Profile.Mrr);
        Assert.Null(restored.Profile.Csm);
    }

    [Fact]
    public void Pending_and_cooldown_states_survive_a_snapshot()
    {
        var catalogue = new RuleCatalogue(
            [WorkspaceFactory.Rule("expansion.usage_limit") with { For = TimeSpan.FromDays(1), Cooldown = TimeSpan.FromDays(10) }],
            RuleCatalogue.Default.Conventions);
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(), catalogue);

        Assert.Empty(workspace.Apply([_events.LimitReached(T0)], Processing())); // pending (provisionally)
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(1))], Processing())); // pending from the end of day 0 (committed)
        var restored = RoundTrip(workspace, catalogue);
        List<UsageEvent> dayLater = [_events.Active("u0", T0.AddDays(1.5))];
        var processing = Processing();
        var fired = Assert.Single(workspace.Apply(dayLater, processing));
        AssertSameChanges([fired], restored.Apply(dayLater, processing));

        List<UsageEvent> weekLater = [_events.Active("u0", T0.AddDays(7))];
        processing = Processing();
        AssertSameChanges(workspace.Apply(weekLater, processing), restored.Apply(weekLater, processing)); // resolved, cooldown until day 17

        var restoredAgain = RoundTrip(restored, catalogue);
        foreach (var (at, expectFire) in new[] { (T0.AddDays(10), false), (T0.AddDays(17), false), (T0.AddDays(18), false), (T0.AddDays(19), true) })
        {
            List<UsageEvent> batch = [_events.LimitReached(at)];
            processing = Processing();
            var expected = workspace.Apply(batch, processing);
            AssertSameChanges(expected, restoredAgain.Apply(batch, processing));
            Assert.Equal(expectFire, expected.Count == 1);
        }
    }

    [Fact]
    public void An_unknown_format_version_is_rejected()
    {
        var snapshot = Busy().ToSnapshot();
        snapshot[0] = Workspace.FormatVersion + 1;
        Assert.Throws<InvalidDataException>(() => Workspace.FromSnapshot(snapshot, RuleCatalogue.Default, HealthModel.Default));
    }

    // ---- the evaluation state: anchor, committed states, every published play, peers, surveys, engine clock -------------

    /// <summary>
    /// More history than the anchor may trail the newest day by (Span - the longest look-back of the rules; so the anchor
    /// has moved and holds states of its own), a drop that fired and resolved (cooldown), open signal plays, a silence that
    /// late data retracted, peers, surveys and an engine clock ahead of the events.
    /// </summary>
    private Workspace Eventful()
    {
        // Created two years ago: long past onboarding even on the days before the first event that the first evaluation
        // re-runs (see DefaultCatalogueTests.Activation_missed_does_not_fire_for_a_workspace_older_than_90_days).
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 40) with { CreatedAt = T0.AddDays(-730) });
        workspace.SetPeers(new PeerBaseline(10, 5), Processing());
        var first = -(ActivityBitmap.Span - RuleCatalogue.Default.MaxLookbackDays + 10);
        for (var d = first; d <= -1; d++)
        {
            var users = d is >= -90 and < -70 ? 0 : d < -60 ? 10 : 6; // a 20-day silence, then a drop from 10 to 6 users
            List<UsageEvent> day = [.. _events.ActiveUsers(0, users, T0.AddDays(d)), _events.Heartbeat(T0.AddDays(d))];
            if (d == first) day.Add(_events.LimitReached(T0.AddDays(d))); // an episode that ends long before the anchor
            if (d is -100 or -20) day.Add(_events.Survey(d == -100 ? 9 : 4, T0.AddDays(d)));
            if (d == -5) day.Add(_events.SponsorChanged(T0.AddDays(d)));
            if (d is -3 or -2) day.Add(_events.Escalation(T0.AddDays(d)));
            workspace.Apply(day, Processing());
        }
        // Late data: someone was active in the middle of the gap after all, so there was no 14-day silence.
        workspace.Apply([_events.Active("u0", T0.AddDays(-80))], Processing());
        workspace.AdvanceEngineTime(T0.AddHours(6), Processing());

        var statuses = workspace.Plays.GroupBy(p => p.Status).ToDictionary(g => g.Key, g => g.Select(p => p.RuleId).Order(StringComparer.Ordinal).ToList());
        Assert.Equal(["adoption.below_peers", "risk.sponsor_change", "risk.support_escalation"], statuses[PlayStatus.Open]);
        Assert.Contains("churn.active_users_drop", statuses[PlayStatus.Resolved]);
        Assert.Equal(["churn.silence"], statuses[PlayStatus.Retracted]);
        // The anchor moved past the first limit episode (fired and resolved in the first week): it is forgotten.
        Assert.DoesNotContain(workspace.Plays, p => p.RuleId == "expansion.usage_limit");
        return workspace;
    }

    private static void AssertSameEvaluationState(Workspace expected, Workspace actual)
    {
        AssertSameState(expected, actual);
        Assert.Equal(expected.Plays.OrderBy(p => p.PlayId, StringComparer.Ordinal), actual.Plays.OrderBy(p => p.PlayId, StringComparer.Ordinal));
        Assert.Equal(expected.Peers, actual.Peers);
        Assert.Equal(expected.EngineTime, actual.EngineTime);
        Assert.Equal(expected.EverActive, actual.EverActive);
        Assert.Equal(expected.NextDueAt(), actual.NextDueAt());
        for (var day = expected.WatermarkDay - (ActivityBitmap.Span - 1); day <= expected.WatermarkDay; day++)
        {
            Assert.Equal(expected.SurveyScoreAsOf(day), actual.SurveyScoreAsOf(day));
            Assert.Equal(expected.HasDataOn(day), actual.HasDataOn(day));
            Assert.Equal(expected.DailyActiveUsers(day), actual.DailyActiveUsers(day));
        }
        var expectedHistory = expected.HealthHistory(ActivityBitmap.Span);
        var actualHistory = actual.HealthHistory(ActivityBitmap.Span);
        Assert.Equal(expectedHistory.Select(h => h.Day), actualHistory.Select(h => h.Day));
        foreach (var (e, a) in expectedHistory.Zip(actualHistory)) WorkspaceAssert.HealthEqual(e.Health, a.Health);
        Assert.Equal(expected.ToSnapshot(), actual.ToSnapshot());
    }

    [Fact]
    public void The_evaluation_state_round_trips()
    {
        var original = Eventful();
        var restored = RoundTrip(original);
        AssertSameEvaluationState(original, restored);
        Assert.Equal(original.Plays.Count(), restored.Plays.Count());
    }

    [Fact]
    public void A_restored_workspace_rewinds_replays_and_publishes_like_the_original()
    {
        var original = Eventful();
        var restored = RoundTrip(original);

        // Late data for a committed day (an escalation 10 days ago) rewinds both to their anchor.
        List<UsageEvent> late = [_events.Escalation(T0.AddDays(-10)), _events.Active("u9", T0.AddDays(-40))];
        var processing = Processing();
        AssertSameChanges(original.Apply(late, processing), restored.Apply(late, processing));
        AssertSameEvaluationState(original, restored);

        // A new day, new peers, and the clock running on over silent weeks: the same plays on both sides.
        List<UsageEvent> next = [.. _events.ActiveUsers(0, 3, T0.AddDays(1)), _events.LimitReached(T0.AddDays(1))];
        processing = Processing();
        var expected = original.Apply(next, processing);
        AssertSameChanges(expected, restored.Apply(next, processing));
        Assert.Contains(expected, p => p.RuleId == "expansion.usage_limit");

        processing = Processing();
        AssertSameChanges(original.SetPeers(new PeerBaseline(30, 8), processing), restored.SetPeers(new PeerBaseline(30, 8), processing));

        processing = Processing();
        var later = original.AdvanceEngineTime(T0.AddDays(30), processing);
        AssertSameChanges(later, restored.AdvanceEngineTime(T0.AddDays(30), processing));
        Assert.Contains(later, p => p.RuleId == "churn.silence" && p.Status == PlayStatus.Open);
        AssertSameEvaluationState(original, restored);
    }

    [Fact]
    public void A_workspace_restored_between_a_provisional_play_and_its_retraction_retracts_it_too()
    {
        var original = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile());
        original.Apply(Enumerable.Range(0, 4).Select(i => _events.Active("u0", T0, $"core.f{i}")).ToList(), Processing());
        var fired = Assert.Single(original.SetPeers(new PeerBaseline(10, 5), Processing()));
        var restored = RoundTrip(original);
        AssertSameEvaluationState(original, restored);

        List<UsageEvent> more = [.. Enumerable.Range(4, 3).Select(i => _events.Active("u0", T0.AddHours(1), $"core.f{i}"))];
        var processing = Processing();
        var expected = original.Apply(more, processing);
        AssertSameChanges(expected, restored.Apply(more, processing));
        Assert.Equal((fired.PlayId, PlayStatus.Retracted), (Assert.Single(expected).PlayId, Assert.Single(expected).Status));
    }
}
