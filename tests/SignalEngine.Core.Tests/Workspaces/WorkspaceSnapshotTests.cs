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
        Assert.Equal(expected.LatestSurveyScore, actual.LatestSurveyScore);
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

        // Episode 1 of the usage limit: fired, then resolved a week later.
        workspace.Apply([_events.LimitReached(T0.AddDays(-20))], Processing());
        Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(-13))], Processing()));

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
        batch.Add(_events.Onboarded(T0.AddDays(-60)));
        var fired = workspace.Apply(batch, Processing());

        Assert.Equal(
            ["expansion.module_adoption", "expansion.seat_pressure", "expansion.usage_limit", "risk.sponsor_change"],
            fired.Select(p => p.RuleId).Order(StringComparer.Ordinal));
        Assert.Equal(2, workspace.OpenPlays.Single(p => p.RuleId == "expansion.usage_limit").Episode);
        return workspace;
    }

    [Fact]
    public void A_busy_workspace_round_trips_with_equal_metrics_health_and_open_plays()
    {
        var original = Busy();
        var restored = RoundTrip(original);
        AssertSameState(original, restored);
        Assert.Equal(4, restored.OpenPlays.Count);
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

        // Forty days on everything clears: four resolutions, the same on both sides.
        List<UsageEvent> later = [_events.Active("u0", T0.AddDays(40))];
        processing = Processing();
        var expected = original.Apply(later, processing);
        var actual = restored.Apply(later, processing);
        Assert.Equal(4, expected.Count);
        Assert.All(expected, p => Assert.Equal(PlayStatus.Resolved, p.Status));
        AssertSameChanges(expected, actual);
        AssertSameState(original, restored);

        // And the next limit is episode 3 on both: the episode counters survived the snapshot.
        List<UsageEvent> again = [_events.LimitReached(T0.AddDays(41))];
        processing = Processing();
        var next = original.Apply(again, processing);
        AssertSameChanges(next, restored.Apply(again, processing));
        Assert.Equal(3, Assert.Single(next).Episode);
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
            [RuleCatalogue.Default.Rules[1] with { For = TimeSpan.FromDays(1), Cooldown = TimeSpan.FromDays(10) }],
            RuleCatalogue.Default.Conventions);
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(), catalogue);

        Assert.Empty(workspace.Apply([_events.LimitReached(T0)], Processing())); // pending since T0
        var restored = RoundTrip(workspace, catalogue);
        List<UsageEvent> dayLater = [_events.Active("u0", T0.AddDays(1))];
        var processing = Processing();
        var fired = Assert.Single(workspace.Apply(dayLater, processing));
        AssertSameChanges([fired], restored.Apply(dayLater, processing));

        List<UsageEvent> weekLater = [_events.Active("u0", T0.AddDays(7))];
        processing = Processing();
        AssertSameChanges(workspace.Apply(weekLater, processing), restored.Apply(weekLater, processing)); // resolved, cooldown until day 17

        var restoredAgain = RoundTrip(restored, catalogue);
        foreach (var (at, expectFire) in new[] { (T0.AddDays(10), false), (T0.AddDays(17), false), (T0.AddDays(18), true) })
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
}
