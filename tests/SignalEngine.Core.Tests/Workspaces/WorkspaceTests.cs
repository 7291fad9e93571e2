using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.EventFactory;

namespace SignalEngine.Core.Tests.Workspaces;

/// <summary>The workspace's baselines and metrics, and their independence from event order.</summary>
public class WorkspaceTests
{
    private readonly EventFactory _events = new();

    [Fact]
    public void A_new_workspace_does_not_exist_and_evaluates_nothing()
    {
        var workspace = WorkspaceFactory.New();
        Assert.False(workspace.Exists);
        Assert.Null(workspace.Watermark);
        Assert.Empty(workspace.Evaluate(T0));
        Assert.Empty(workspace.SetProfile(WorkspaceFactory.Profile(seats: 1), T0));
        Assert.True(workspace.Exists);
    }

    [Fact]
    public void The_watermark_is_the_newest_event_time_and_late_events_do_not_move_it_back()
    {
        var workspace = WorkspaceFactory.New();
        workspace.Apply([_events.Active("a", T0)], T0);
        workspace.Apply([_events.Active("a", T0.AddDays(-3))], T0);
        Assert.Equal(T0, workspace.Watermark);
        Assert.Equal(EventDay.Of(T0), workspace.WatermarkDay);
        Assert.Equal(2, workspace.EventsApplied);
        Assert.True(workspace.Exists);
    }

    [Fact]
    public void Distinct_user_counts_read_between_deliveries_follow_every_new_user_day_late_or_not()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: new Dictionary<string, IReadOnlyList<string>>
        {
            ["reports"] = ["a", "b", "c"],
            ["billing"] = ["a", "b"],
        }));
        var window = Core.Activity.DayWindow.Ending(EventDay.Of(T0), 28);
        // As the adoption rule asks: each piloted module in turn, with the workspace's own cohorts.
        int Adopted(string module) => workspace.DistinctModuleUsers(module, workspace.PilotCohorts.Single(c => c.Module == module).Users, window);

        workspace.Apply([_events.Active("a", T0), _events.ModuleUse("reports", "a", T0)], T0);
        Assert.Equal(1, workspace.DistinctActiveUsers(window));
        Assert.Equal((1, 0), (Adopted("reports"), Adopted("billing")));

        workspace.Apply([_events.Active("a", T0.AddMinutes(1))], T0);         // the same user, the same day
        Assert.Equal(1, workspace.DistinctActiveUsers(window));
        workspace.Apply([_events.Active("b", T0.AddMinutes(2))], T0);         // a new user
        Assert.Equal(2, workspace.DistinctActiveUsers(window));
        workspace.Apply([_events.Active("c", T0.AddDays(-20))], T0);          // a late one, inside the window
        Assert.Equal(3, workspace.DistinctActiveUsers(window));
        Assert.Equal(2, workspace.DistinctActiveUsers(Core.Activity.DayWindow.Ending(EventDay.Of(T0), 7)));
        Assert.Equal((1, 0), (Adopted("reports"), Adopted("billing")));

        // b is already active today: only b's first use of a module that day can change the module counts.
        workspace.Apply([_events.ModuleUse("billing", "b", T0.AddMinutes(3))], T0);
        Assert.Equal((1, 1), (Adopted("reports"), Adopted("billing")));
        workspace.Apply([_events.ModuleUse("reports", "c", T0.AddDays(-1))], T0);
        Assert.Equal((2, 1), (Adopted("reports"), Adopted("billing")));
        Assert.Equal(1, workspace.DistinctModuleUsers("reports", ["c"], window)); // a list of the caller's own: counted afresh
    }

    [Fact]
    public void Distinct_active_users_are_counted_exactly_over_7_and_28_days()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 50));
        workspace.Apply(
        [
            _events.Active("u1", T0),
            _events.Active("u1", T0.AddHours(-1)),
            _events.Active("u1", T0.AddDays(-20)),
            _events.Active("u2", T0.AddDays(-6)),           // last day of the 7
            _events.Active("u3", T0.AddDays(-7)),           // just outside the 7
            _events.Active("u4", T0.AddDays(-27)),          // last day of the 28
            _events.Active("u5", T0.AddDays(-28)),          // just outside the 28
            _events.Active("u6", T0.AddDays(-100)),
            _events.Event("core.report_viewed", null, T0),  // no user: counts as core usage only
        ], T0);

        var metrics = workspace.Metrics();
        Assert.Equal(2, metrics.ActiveUsers7d);
        Assert.Equal(4, metrics.ActiveUsers28d);
        Assert.Equal(4, metrics.SeatsUsed);
        Assert.Equal(50, metrics.SeatsPurchased);
        Assert.Equal(6, metrics.KnownUsers);
        Assert.Equal(9, metrics.EventsApplied);
        Assert.Equal(T0, metrics.LastEventAt);
        Assert.Equal(4, metrics.CoreEvents7d);
        Assert.Equal(7, metrics.CoreEvents28d);
    }

    [Fact]
    public void Distinct_users_are_counted_from_day_boundaries_in_utc_not_24_hour_spans()
    {
        var workspace = WorkspaceFactory.New();
        var midnight = EventDay.Start(EventDay.Of(T0));
        workspace.Apply(
        [
            _events.Active("today", midnight.AddDays(1).AddMilliseconds(-1)), // watermark: 23:59:59.999
            _events.Active("six-days-ago", midnight.AddDays(-6)),          // 00:00 of the first day of the 7
            _events.Active("seven-days-ago", midnight.AddDays(-6).AddMilliseconds(-1)),
        ], T0);
        Assert.Equal(2, workspace.Metrics().ActiveUsers7d);
        Assert.Equal(3, workspace.Metrics().ActiveUsers28d);
    }

    [Fact]
    public void Distinct_counts_match_a_brute_force_count_for_many_random_users()
    {
        var random = new Random(99);
        var workspace = WorkspaceFactory.New();
        var activity = new List<(string User, DateTimeOffset At)>();
        for (var i = 0; i < 2_000; i++)
            activity.Add(($"u{random.Next(300)}", T0.AddMinutes(-random.Next(0, 60 * 24 * 60))));
        activity.Add(("latest", T0));
        foreach (var chunk in activity.Chunk(97))
            workspace.Apply(chunk.Select(a => _events.Active(a.User, a.At)).ToList(), T0);

        var today = EventDay.Of(T0);
        int Expected(int days) => activity.Where(a => EventDay.Of(a.At) > today - days).Select(a => a.User).Distinct().Count();
        var metrics = workspace.Metrics();
        Assert.Equal(Expected(7), metrics.ActiveUsers7d);
        Assert.Equal(Expected(28), metrics.ActiveUsers28d);
        Assert.Equal(activity.Select(a => a.User).Distinct().Count(), metrics.KnownUsers);
    }

    [Fact]
    public void Metrics_report_features_modules_and_activation()
    {
        var workspace = WorkspaceFactory.New();
        workspace.Apply(
        [
            _events.Active("u1", T0, "core.report_viewed"),
            _events.Active("u1", T0.AddDays(-1), "core.dashboard_created"),
            _events.Active("u2", T0.AddDays(-40), "core.export"),
            _events.ModuleUse("reports", "u1", T0),
            _events.ModuleUse("reports", "u2", T0.AddDays(-2)),
            _events.ModuleUse("reports", "u3", T0.AddDays(-30)),
            _events.ModuleUse("billing", "u3", T0.AddDays(-29)),
            _events.Onboarded(T0.AddDays(-10)),
            _events.Onboarded(T0.AddDays(-50)),
        ], T0);

        var metrics = workspace.Metrics();
        Assert.Equal(2, metrics.DistinctCoreFeatures28d);
        Assert.Equal(2, metrics.CoreEvents28d);
        Assert.Equal(new Dictionary<string, int> { ["billing"] = 0, ["reports"] = 2 }, metrics.ModuleActiveUsers28d);
        Assert.Equal(T0.AddDays(-50), metrics.ActivatedAt);
        Assert.Null(metrics.SeatsPurchased);
        Assert.Equal(2, metrics.ActiveUsers28d);
    }

    [Fact]
    public void Health_reads_the_workspace_events()
    {
        var workspace = WorkspaceFactory.New();
        Assert.Null(workspace.Health().Score);

        workspace.Apply([_events.Survey(8, T0)], T0);
        var health = workspace.Health();
        Assert.Equal(80, health.Score);
        Assert.Equal(HealthScore.Green, health.Status);

        workspace.Apply([_events.Survey(2, T0.AddDays(-1))], T0); // older answer: not the latest
        Assert.Equal(80, workspace.Health().Score);

        workspace.Apply([_events.SponsorChanged(T0)], T0);        // relationship 30
        health = workspace.Health();
        Assert.Equal(55, health.Score);
        Assert.Equal(HealthScore.Yellow, health.Status);

        workspace.Apply([_events.Escalation(T0), _events.Escalation(T0), _events.Escalation(T0)], T0); // support 0
        Assert.Equal(HealthScore.Red, workspace.Health().Status);
        Assert.Equal(workspace.Health().Score, workspace.Health().Factors.Sum(f => f.Contribution ?? 0));
    }

    [Fact]
    public void The_health_at_firing_is_recorded_on_the_play()
    {
        var workspace = WorkspaceFactory.New();
        workspace.Apply([_events.Survey(9, T0)], T0);
        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(T0)], T0));
        Assert.Equal(60, play.Health.Score); // (90 sentiment + 30 relationship) / 2: the batch is folded in before the rules run
        Assert.Equal(HealthScore.Yellow, play.Health.Status);
    }

    // ---- order independence -------------------------------------------------------------------------

    /// <summary>Five days of activity that breach every default rule, whatever order it arrives in.</summary>
    private static List<UsageEvent> FiveBusyDays()
    {
        var events = new EventFactory();
        var random = new Random(7);
        var list = new List<UsageEvent>();
        for (var day = -4; day <= 0; day++)
        {
            var at = T0.AddDays(day);
            foreach (var user in Enumerable.Range(0, 40).Where(_ => random.Next(3) > 0))
                list.Add(events.Active($"u{user}", at.AddMinutes(random.Next(-600, 600)), random.Next(2) == 0 ? "core.report_viewed" : "core.export"));
            foreach (var pilot in Enumerable.Range(0, 5).Where(_ => random.Next(4) == 0))
                list.Add(events.ModuleUse("reports", $"p{pilot}", at.AddMinutes(random.Next(-600, 600))));
        }
        list.AddRange(events.ActiveUsers(0, 40, T0.AddDays(-2))); // every user active at least once
        list.AddRange(Enumerable.Range(0, 4).Select(p => events.ModuleUse("reports", $"p{p}", T0.AddDays(-3))));
        list.Add(events.LimitReached(T0.AddDays(-3)));
        list.Add(events.SponsorChanged(T0.AddDays(-2)));
        list.Add(events.Escalation(T0.AddDays(-1)));
        list.Add(events.Survey(6, T0.AddDays(-1)));
        list.Add(events.Onboarded(T0.AddDays(-4)));
        list.Add(events.Onboarded(T0.AddDays(-1)));
        return list;
    }

    private static Workspace Replay(IEnumerable<UsageEvent> events, int batchSize)
    {
        var profile = WorkspaceFactory.Profile(seats: 44, pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = WorkspaceFactory.Users("p", 5) });
        var workspace = WorkspaceFactory.WithProfile(profile);
        var minute = 0;
        foreach (var batch in events.Chunk(batchSize)) workspace.Apply(batch, T0.AddHours(1).AddMinutes(++minute));
        return workspace;
    }

    public static TheoryData<string, int> Orders() => new()
    {
        { "reversed", 1 },
        { "reversed", 5 },
        { "reversed", 10_000 },
        { "shuffled", 1 },
        { "shuffled", 7 },
        { "shuffled", 10_000 },
        { "by-name", 3 },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void The_same_events_in_another_order_give_the_same_metrics_health_and_open_plays(string order, int batchSize)
    {
        var chronological = FiveBusyDays().OrderBy(e => e.Timestamp).ToList();
        var reordered = order switch
        {
            "reversed" => Enumerable.Reverse(chronological).ToList(),
            "shuffled" => chronological.Shuffled(new Random(1234)),
            _ => chronological.OrderBy(e => e.Name, StringComparer.Ordinal).ThenBy(e => e.EventId, StringComparer.Ordinal).ToList(),
        };
        Assert.NotEqual(chronological.Select(e => e.EventId), reordered.Select(e => e.EventId));

        var expected = Replay(chronological, batchSize: 10);
        var actual = Replay(reordered, batchSize);

        WorkspaceAssert.MetricsEqual(expected.Metrics(), actual.Metrics());
        WorkspaceAssert.HealthEqual(expected.Health(), actual.Health());
        var expectedPlays = WorkspaceFactory.OpenPlayKeys(expected);
        Assert.Equal(
            ["expansion.module_adoption", "expansion.seat_pressure", "expansion.usage_limit", "risk.sponsor_change"],
            expectedPlays.Select(p => p.RuleId).Order(StringComparer.Ordinal));
        Assert.Equal(expectedPlays, WorkspaceFactory.OpenPlayKeys(actual));
    }
}

internal static class ShuffleExtensions
{
    /// <summary>Fisher-Yates with the given generator, so the order is fixed for a seed.</summary>
    public static List<T> Shuffled<T>(this List<T> list, Random random)
    {
        var copy = list.ToList();
        for (var i = copy.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (copy[i], copy[j]) = (copy[j], copy[i]);
        }
        return copy;
    }
}
