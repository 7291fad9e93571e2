using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.EventFactory;

namespace SignalEngine.Core.Tests.Workspaces;

/// <summary>The default rules, driven through <see cref="Workspace.Apply"/>: thresholds, episodes, hysteresis, routing.</summary>
public class WorkspaceRulesTests
{
    private const string SeatPressure = "expansion.seat_pressure";
    private const string ModuleAdoption = "expansion.module_adoption";
    private const string UsageLimit = "expansion.usage_limit";
    private const string SponsorChange = "risk.sponsor_change";
    private const string Silence = "churn.silence";

    private readonly EventFactory _events = new();
    private int _minute;

    /// <summary>A distinct, increasing processing time per call.</summary>
    private DateTimeOffset Processing() => T0.AddHours(1).AddMinutes(++_minute);

    private static Dictionary<string, IReadOnlyList<string>> Pilots(string module, int count) =>
        new() { [module] = WorkspaceFactory.Users($"{module}-pilot-", count) };

    // ---- seat pressure -------------------------------------------------------------------------

    [Fact]
    public void Seat_pressure_fires_at_exactly_90_percent_not_at_89()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));

        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 89, T0), Processing()));
        Assert.Empty(workspace.OpenPlays);

        var processing = Processing();
        var play = Assert.Single(workspace.Apply([_events.Active("u89", T0.AddMinutes(1))], processing));
        Assert.Equal(SeatPressure, play.RuleId);
        Assert.Null(play.Subject);
        Assert.Equal(WorkspaceFactory.DateOf(T0), play.EpisodeStart);
        Assert.Equal(Play.IdFor(DefaultWorkspace, SeatPressure, null, WorkspaceFactory.DayOf(T0)), play.PlayId);
        Assert.Equal(PlayKind.Expansion, play.Kind);
        Assert.Equal(PlayStatus.Open, play.Status);
        Assert.Equal(processing, play.FiredAt);
        Assert.Equal(T0.AddMinutes(1), play.EventTime);
        Assert.Equal(90, play.Evidence.Value);
        Assert.Equal(90, play.Evidence.Baseline);
        Assert.Equal(100, play.Evidence.Limit);
        Assert.Equal("28d", play.Evidence.Window);
        Assert.Equal("Acme uses 90% of its purchased seats", play.Title);
        Assert.Equal(new PlayOwner(OwnerRole.AccountManager, WorkspaceFactory.AccountManagerName), play.Owner);
        Assert.Equal(1, play.Tier);
        Assert.Equal("emea-1", play.Pod);
        Assert.Equal("mid-market", play.Segment);
        Assert.Equal(play, Assert.Single(workspace.OpenPlays));
    }

    [Fact]
    public void Seat_pressure_counts_each_user_once_however_many_events()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));
        var events = Enumerable.Range(0, 5).SelectMany(day => _events.ActiveUsers(0, 89, T0.AddDays(-day))).ToList();
        Assert.Empty(workspace.Apply(events, Processing()));
        Assert.Equal(89, workspace.Metrics().ActiveUsers28d);
    }

    [Theory]
    [InlineData(27, true)]  // still inside the 28 days ending at the watermark day
    [InlineData(28, false)] // one day too old
    public void Seat_pressure_counts_distinct_users_over_the_last_28_days(int daysAgo, bool fires)
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));
        var events = _events.ActiveUsers(0, 80, T0.AddDays(-daysAgo)).Concat(_events.ActiveUsers(70, 20, T0)).ToList(); // u70..u79 in both

        var plays = workspace.Apply(events, Processing());

        Assert.Equal(fires, plays.Any(p => p.RuleId == SeatPressure));
        Assert.Equal(fires ? 90 : 20, workspace.Metrics().ActiveUsers28d);
    }

    [Fact]
    public void Seat_pressure_needs_purchased_seats()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: null));
        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 500, T0), Processing()));
        var zeroSeats = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 0));
        Assert.Empty(zeroSeats.Apply(_events.ActiveUsers(0, 5, T0), Processing()));
    }

    [Fact]
    public void Seat_pressure_fires_once_per_episode_and_resolves_below_85_percent()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));
        var first = WorkspaceFactory.Single(workspace.Apply(_events.ActiveUsers(0, 90, T0), Processing()), SeatPressure);

        // More users: still the same episode.
        Assert.Empty(workspace.Apply(_events.ActiveUsers(90, 5, T0.AddDays(1)), Processing()));
        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 95, T0.AddDays(2)), Processing()));

        // 30 days later only 84 of them are active in the window: below the 85% recovery line.
        // (The 28 silent days in between fired churn.silence, which resolves in the same batch.)
        var resolving = Processing();
        var changes = workspace.Apply(_events.ActiveUsers(0, 84, T0.AddDays(31)), resolving);
        Assert.Equal([PlayStatus.Resolved], changes.Of(Silence).Select(p => p.Status));
        var resolved = WorkspaceFactory.Single(changes, SeatPressure);
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(resolving, resolved.ResolvedAt);
        Assert.Equal(T0.AddDays(31), resolved.ResolvedEventTime);
        Assert.Equal(first.FiredAt, resolved.FiredAt);
        Assert.Empty(workspace.OpenPlays);

        // A new crossing is a new episode, with a new id. (Core events fell by half against the three weeks
        // before, so churn.core_usage_decline fires as the day before completes.)
        var second = WorkspaceFactory.Single(workspace.Apply(_events.ActiveUsers(84, 6, T0.AddDays(32)), Processing()), SeatPressure);
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(32)), second.EpisodeStart);
        Assert.NotEqual(first.PlayId, second.PlayId);
        Assert.Equal(Play.IdFor(DefaultWorkspace, SeatPressure, null, WorkspaceFactory.DayOf(T0.AddDays(32))), second.PlayId);
        Assert.Equal(second, Assert.Single(workspace.OpenPlays.Of(SeatPressure)));
        Assert.Equal(2, workspace.Plays.Of(SeatPressure).Count);
    }

    [Fact]
    public void Seat_usage_wobbling_between_86_and_92_percent_fires_once()
    {
        var condition = Assert.IsType<SeatRatioCondition>(WorkspaceFactory.Rule(SeatPressure).Condition);
        Assert.Equal((90, 85), (condition.ThresholdPercent, condition.RecoveryPercent)); // the band the script wobbles in
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));
        var changes = new List<Play>();
        // A step 28 days after the previous one sees only its own users; a step the day after sees both (a superset).
        var script = new (int Day, int Users)[] { (0, 90), (28, 86), (29, 92), (57, 86), (58, 90), (86, 87), (114, 85) };
        foreach (var (day, users) in script)
        {
            changes.AddRange(workspace.Apply(_events.ActiveUsers(0, users, T0.AddDays(day)), Processing()));
            Assert.Equal(users, workspace.Metrics().ActiveUsers28d);
        }

        // (The four-week gaps fire and resolve churn.silence, and core usage declines: other rules.)
        var play = WorkspaceFactory.Single(changes, SeatPressure);
        Assert.Equal(PlayStatus.Open, play.Status);
        Assert.Equal(WorkspaceFactory.DateOf(T0), play.EpisodeStart);
        Assert.Equal(play, Assert.Single(workspace.OpenPlays.Of(SeatPressure)));

        // Only below 85% does the episode end.
        var resolved = WorkspaceFactory.Single(workspace.Apply(_events.ActiveUsers(0, 84, T0.AddDays(142)), Processing()), SeatPressure);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(play.PlayId, resolved.PlayId);
    }

    [Fact]
    public void Buying_more_seats_resolves_seat_pressure_and_removing_them_starts_a_new_episode()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(seats: 100));
        var first = Assert.Single(workspace.Apply(_events.ActiveUsers(0, 90, T0), Processing()));

        // The next day the customer buys 100 more seats: the expansion happened, the play is resolved (not retracted).
        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 90, T0.AddDays(1)), Processing()));
        var changing = Processing();
        var resolved = Assert.Single(workspace.SetProfile(WorkspaceFactory.Profile(seats: 200), changing));
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(changing, resolved.ResolvedAt);

        // A day later the seats go back to 100: a new episode, starting that day.
        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 90, T0.AddDays(2)), Processing()));
        var second = Assert.Single(workspace.SetProfile(WorkspaceFactory.Profile(seats: 100), Processing()));
        Assert.Equal(PlayStatus.Open, second.Status);
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(2)), second.EpisodeStart);
        Assert.NotEqual(first.PlayId, second.PlayId);
        Assert.Equal(PlayStatus.Resolved, workspace.Plays.Single(p => p.PlayId == first.PlayId).Status);
    }

    // ---- module adoption ------------------------------------------------------------------------

    [Theory]
    [InlineData(10, 7, false)] // 70%
    [InlineData(10, 8, true)]  // 80%
    [InlineData(10, 10, true)]
    [InlineData(5, 3, false)]  // 60%
    [InlineData(5, 4, true)]   // 80%
    [InlineData(1, 1, true)]
    public void Module_adoption_fires_when_80_percent_of_pilot_users_used_the_module(int pilots, int adopting, bool fires)
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", pilots)));
        var events = Enumerable.Range(0, adopting).Select(i => _events.ModuleUse("reports", $"reports-pilot-{i}", T0.AddDays(-i))).ToList();

        var plays = workspace.Apply(events, Processing());

        if (!fires)
        {
            Assert.Empty(plays);
            return;
        }
        // Pilot i used the module i days ago: the play fires on the day the share first reached 80%, with the figures of that day.
        var needed = (int)Math.Ceiling(0.8 * pilots);
        var crossingDay = WorkspaceFactory.DayOf(T0) - (adopting - needed);
        var play = Assert.Single(plays);
        Assert.Equal(ModuleAdoption, play.RuleId);
        Assert.Equal("reports", play.Subject);
        Assert.Equal(WorkspaceFactory.DateOf(crossingDay), play.EpisodeStart);
        Assert.Equal(Play.IdFor(DefaultWorkspace, ModuleAdoption, "reports", crossingDay), play.PlayId);
        Assert.Equal(needed, play.Evidence.Baseline);
        Assert.Equal(pilots, play.Evidence.Limit);
        Assert.Equal($"{Math.Round(needed * 100.0 / pilots, 2)}% of reports pilot users at Acme adopted the module", play.Title);
        Assert.Equal(new PlayOwner(OwnerRole.AccountManager, WorkspaceFactory.AccountManagerName), play.Owner);
    }

    [Fact]
    public void Module_adoption_fires_on_the_pilot_that_crosses_80_percent()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", 10)));
        var seven = Enumerable.Range(0, 7).Select(i => _events.ModuleUse("reports", $"reports-pilot-{i}", T0)).ToList();
        Assert.Empty(workspace.Apply(seven, Processing()));

        var play = Assert.Single(workspace.Apply([_events.ModuleUse("reports", "reports-pilot-7", T0, action: "exported")], Processing()));
        Assert.Equal("reports", play.Subject);
    }

    [Fact]
    public void Module_use_by_non_pilots_or_without_a_user_does_not_count_towards_adoption()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", 10)));
        var events = Enumerable.Range(0, 7).Select(i => _events.ModuleUse("reports", $"reports-pilot-{i}", T0))
            .Concat(Enumerable.Range(0, 20).Select(i => _events.ModuleUse("reports", $"someone-{i}", T0)))
            .Append(_events.Event("module.reports.opened", null, T0))
            .Append(_events.Active("reports-pilot-8", T0))        // active, but not in the module
            .Append(_events.ModuleUse("billing", "reports-pilot-9", T0)) // another module
            .ToList();
        Assert.Empty(workspace.Apply(events, Processing()));
    }

    [Fact]
    public void Module_adoption_only_counts_the_last_28_days()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", 5)));
        var events = Enumerable.Range(0, 3).Select(i => _events.ModuleUse("reports", $"reports-pilot-{i}", T0))
            .Append(_events.ModuleUse("reports", "reports-pilot-3", T0.AddDays(-28)))
            .ToList();
        // (The 27 days without users between the two fire and resolve churn.silence.)
        Assert.Empty(workspace.Apply(events, Processing()).Of(ModuleAdoption));
        var play = WorkspaceFactory.Single(workspace.Apply([_events.ModuleUse("reports", "reports-pilot-4", T0.AddDays(-27))], Processing()), ModuleAdoption);
        Assert.Equal(WorkspaceFactory.DateOf(T0), play.EpisodeStart);
    }

    [Fact]
    public void Each_piloted_module_is_its_own_episode()
    {
        var pilots = new Dictionary<string, IReadOnlyList<string>>
        {
            ["reports"] = WorkspaceFactory.Users("r", 5),
            ["billing"] = WorkspaceFactory.Users("b", 5),
        };
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: pilots));
        var reports = Assert.Single(workspace.Apply(Enumerable.Range(0, 4).Select(i => _events.ModuleUse("reports", $"r{i}", T0)).ToList(), Processing()));
        var billing = Assert.Single(workspace.Apply(Enumerable.Range(0, 4).Select(i => _events.ModuleUse("billing", $"b{i}", T0)).ToList(), Processing()));
        Assert.Equal("reports", reports.Subject);
        Assert.Equal("billing", billing.Subject);
        Assert.NotEqual(reports.PlayId, billing.PlayId);
        Assert.Equal(2, workspace.OpenPlays.Count());
    }

    [Fact]
    public void Module_adoption_resolves_below_70_percent_and_not_inside_the_band()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", 10)));
        var first = Assert.Single(workspace.Apply(UseModule(8, 0), Processing()));

        // (Each four-week gap fires and resolves churn.silence: only the adoption plays matter here.)
        Assert.Empty(workspace.Apply(UseModule(7, 28), Processing()).Of(ModuleAdoption)); // exactly 70%: inside the band
        var resolved = WorkspaceFactory.Single(workspace.Apply(UseModule(6, 56), Processing()), ModuleAdoption);
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal("reports", resolved.Subject);

        var second = Assert.Single(workspace.Apply(UseModule(8, 57), Processing()));
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(57)), second.EpisodeStart);
        Assert.Equal("reports", second.Subject);
        Assert.NotEqual(first.PlayId, second.PlayId);
    }

    private List<Core.Events.UsageEvent> UseModule(int pilots, int day) =>
        Enumerable.Range(0, pilots).Select(i => _events.ModuleUse("reports", $"reports-pilot-{i}", T0.AddDays(day))).ToList();

    [Fact]
    public void Removing_a_module_s_pilots_resolves_its_adoption_play()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(pilots: Pilots("reports", 5)));
        var first = Assert.Single(workspace.Apply(UseModule(5, 0), Processing()));
        Assert.Empty(workspace.Apply(UseModule(5, 1), Processing()));

        var resolved = Assert.Single(workspace.SetProfile(WorkspaceFactory.Profile(), Processing()));
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Empty(workspace.OpenPlays);
    }

    // ---- signal rules -------------------------------------------------------------------------

    [Fact]
    public void A_sponsor_change_fires_a_churn_risk_for_the_csm()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile());
        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(T0)], Processing()));
        Assert.Equal(SponsorChange, play.RuleId);
        Assert.Equal(PlayKind.ChurnRisk, play.Kind);
        Assert.Equal(Severity.High, play.Severity);
        Assert.Equal(new PlayOwner(OwnerRole.Csm, WorkspaceFactory.CsmName), play.Owner);
        Assert.Equal("Executive sponsor changed at Acme", play.Title);
        Assert.Null(play.Subject);
    }

    [Fact]
    public void A_reached_limit_fires_an_expansion_for_the_account_manager()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile());
        var play = Assert.Single(workspace.Apply([_events.LimitReached(T0)], Processing()));
        Assert.Equal(UsageLimit, play.RuleId);
        Assert.Equal(PlayKind.Expansion, play.Kind);
        Assert.Equal(new PlayOwner(OwnerRole.AccountManager, WorkspaceFactory.AccountManagerName), play.Owner);
        Assert.Equal("Acme hit a plan limit (1 in the last 7d)", play.Title);
    }

    [Fact]
    public void Tier_3_plays_go_to_the_digital_channel()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(tier: 3));
        var plays = workspace.Apply([_events.LimitReached(T0), _events.SponsorChanged(T0)], Processing());
        Assert.Equal(2, plays.Count);
        Assert.All(plays, p =>
        {
            Assert.Equal(new PlayOwner(OwnerRole.Digital, PlayRouting.DigitalChannel), p.Owner);
            Assert.Equal(3, p.Tier);
        });
    }

    [Fact]
    public void Without_a_profile_plays_name_the_workspace_id_and_no_person()
    {
        var workspace = WorkspaceFactory.New();
        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(T0)], Processing()));
        Assert.Equal($"Executive sponsor changed at {DefaultWorkspace}", play.Title);
        Assert.Equal(new PlayOwner(OwnerRole.Csm, null), play.Owner);
        Assert.Null(play.Tier);
    }

    [Fact]
    public void Usage_limit_fires_once_resolves_when_the_last_hit_is_7_days_old_and_fires_episode_2_later()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile());
        var first = Assert.Single(workspace.Apply([_events.LimitReached(T0)], Processing()));
        Assert.Equal(WorkspaceFactory.DateOf(T0), first.EpisodeStart);

        // Continued breaching: more hits and more users do not fire again.
        // (Only this rule matters here: see WorkspaceEvaluationTests for churn.silence before a first user.)
        Assert.Empty(workspace.Apply([_events.LimitReached(T0.AddDays(1)), _events.LimitReached(T0.AddDays(2))], Processing()));
        Assert.Empty(workspace.Apply(_events.ActiveUsers(0, 50, T0.AddDays(3)), Processing()).Of(UsageLimit));

        // The last hit (day +2) is still within the 7 days ending day +8 ...
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(8))], Processing()));
        Assert.Equal([first.PlayId], workspace.OpenPlays.Select(p => p.PlayId));

        // ... but not within those ending day +9.
        var processing = Processing();
        var resolved = Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(9))], processing));
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(processing, resolved.ResolvedAt);
        Assert.Equal(T0.AddDays(9), resolved.ResolvedEventTime);
        Assert.Empty(workspace.OpenPlays);

        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(10))], Processing()));

        var second = Assert.Single(workspace.Apply([_events.LimitReached(T0.AddDays(12))], Processing()));
        Assert.Equal(UsageLimit, second.RuleId);
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(12)), second.EpisodeStart);
        Assert.Equal(PlayStatus.Open, second.Status);
        Assert.NotEqual(first.PlayId, second.PlayId);
        Assert.Equal(Play.IdFor(DefaultWorkspace, UsageLimit, null, WorkspaceFactory.DayOf(T0.AddDays(12))), second.PlayId);
    }

    [Fact]
    public void A_second_sponsor_change_within_30_days_is_the_same_episode()
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile());
        var first = Assert.Single(workspace.Apply([_events.SponsorChanged(T0)], Processing()));
        Assert.Empty(workspace.Apply([_events.SponsorChanged(T0.AddDays(20))], Processing()));
        // (Only the sponsor rule matters here: see WorkspaceEvaluationTests for churn.silence before a first user.)
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(49))], Processing()).Of(SponsorChange));
        var resolved = WorkspaceFactory.Single(workspace.Apply([_events.Active("u0", T0.AddDays(50))], Processing()), SponsorChange);
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(T0.AddDays(50), resolved.ResolvedEventTime);
    }

    [Fact]
    public void A_rule_that_no_longer_applies_to_the_workspace_resolves_its_play()
    {
        var tier1Only = new RuleCatalogue(
            [WorkspaceFactory.Rule(UsageLimit) with { Tiers = new HashSet<int> { 1 } }],
            RuleCatalogue.Default.Conventions);
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(tier: 1), tier1Only);
        var fired = Assert.Single(workspace.Apply([_events.LimitReached(T0)], Processing()));
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(1))], Processing()));

        var resolved = Assert.Single(workspace.SetProfile(WorkspaceFactory.Profile(tier: 2), Processing()));
        Assert.Equal(fired.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Empty(workspace.Apply([_events.LimitReached(T0)], Processing()));
    }

    [Fact]
    public void A_rule_with_For_and_Cooldown_waits_in_event_time_judged_per_utc_day()
    {
        var catalogue = new RuleCatalogue(
            [WorkspaceFactory.Rule(UsageLimit) with { For = TimeSpan.FromDays(1), Cooldown = TimeSpan.FromDays(10) }],
            RuleCatalogue.Default.Conventions);
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(), catalogue);

        // A complete day is judged as of its end: the breach seen on day 0 is pending from the end of day 0,
        // so `for: 1d` is met at the end of day 1, and the episode starts on day 1.
        Assert.Empty(workspace.Apply([_events.LimitReached(T0)], Processing()));                  // pending
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddHours(23))], Processing()));      // not a day yet
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(1))], Processing()));        // 12 h since the end of day 0
        var first = Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(1.5))], Processing())); // 00:00 of day 2
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(1)), first.EpisodeStart);
        Assert.Equal(EventDayStart(2), first.EventTime);

        // The hit leaves the 7-day window on day 7: resolved then, cooldown for 10 days from that moment.
        var resolved = Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(7))], Processing()));
        Assert.Equal(first.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(T0.AddDays(7), resolved.ResolvedEventTime);

        Assert.Empty(workspace.Apply([_events.LimitReached(T0.AddDays(8))], Processing()));        // cooldown until T0 + 17 days
        Assert.Empty(workspace.Apply([_events.LimitReached(T0.AddDays(17))], Processing()));       // cooldown over: pending again
        Assert.Empty(workspace.Apply([_events.Active("u0", T0.AddDays(18))], Processing()));       // pending from the end of day 17
        var second = Assert.Single(workspace.Apply([_events.Active("u0", T0.AddDays(19))], Processing()));
        Assert.Equal(WorkspaceFactory.DateOf(T0.AddDays(18)), second.EpisodeStart);
        Assert.NotEqual(first.PlayId, second.PlayId);
    }

    private static DateTimeOffset EventDayStart(int daysAfterT0) => Core.Events.EventDay.Start(WorkspaceFactory.DayOf(T0) + daysAfterT0);
}
