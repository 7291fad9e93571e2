using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.DefaultRuleIds;
using static SignalEngine.Core.Tests.EventFactory;
using static SignalEngine.Core.Tests.WorkspaceFactory;

namespace SignalEngine.Core.Tests.Rules;

/// <summary>
/// The eleven rules of the shipped catalogue (default-catalogue.yaml), driven through a <see cref="Workspace"/>:
/// for each, a firing case, a control that does not fire, and the exact boundary. The expansion rules and the
/// usage limit are covered in depth by <c>WorkspaceRulesTests</c>; here they get their boundary once more.
/// Day numbers are relative to <see cref="T0"/> (a Monday, 12:00 UTC): <c>Day(d)</c> is noon of day d.
/// </summary>
public class DefaultCatalogueTests
{

    private readonly EventFactory _events = new();
    private int _minute;

    private DateTimeOffset Processing() => T0.AddHours(1).AddMinutes(++_minute);

    private static Workspace New(WorkspaceProfile? profile = null) => WithProfile(profile ?? Profile());

    private static void AssertRouting(Play play, PlayKind kind, Severity severity, OwnerRole role)
    {
        Assert.Equal(kind, play.Kind);
        Assert.Equal(severity, play.Severity);
        Assert.Equal(role, play.Owner.Role);
        Assert.Equal(role == OwnerRole.Csm ? CsmName : AccountManagerName, play.Owner.Name);
        Assert.Equal(PlayStatus.Open, play.Status);
        Assert.False(play.Shadow);
    }

    // ---- churn.active_users_drop: distinct users, 21 complete days against the 21 before, baseline of 5 users -----------

    [Theory]
    [InlineData(5, 4, true)]     // a 20% drop of the smallest baseline
    [InlineData(5, 5, false)]
    [InlineData(100, 80, true)]  // exactly 20%
    [InlineData(100, 81, false)] // 19%
    [InlineData(4, 3, false)]    // 25%, but 4 users are below the minimum baseline of 5
    [InlineData(4, 0, false)]    // everyone gone, still below the minimum baseline
    public void Active_users_drop_compares_the_last_21_complete_days_with_the_21_before(int before, int now, bool fires)
    {
        var workspace = New();
        // `before` users on days -14, -7 and 0; then `now` of them on days 7, 14 and 21. The window ending day 21
        // is the first that no longer holds day 0.
        foreach (var d in new[] { -14, -7, 0 }) workspace.Apply(_events.ActiveUsers(0, before, Day(d)), Processing());
        foreach (var d in new[] { 7, 14, 21 }) workspace.Apply([.. _events.ActiveUsers(0, now, Day(d)), _events.Heartbeat(Day(d))], Processing());
        Assert.Empty(workspace.Plays.Of(ActiveUsersDrop)); // day 21 is still running: not judged yet

        var plays = workspace.AdvanceEngineTime(Midnight(22), Processing()).Of(ActiveUsersDrop);

        if (!fires)
        {
            Assert.Empty(plays);
            Assert.Empty(workspace.Plays.Of(ActiveUsersDrop));
            return;
        }
        var play = Assert.Single(plays);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.High, OwnerRole.Csm);
        Assert.Equal(DateOf(DayNumber(21)), play.EpisodeStart);
        Assert.Equal(Midnight(22), play.EventTime); // the end of the day that showed the drop
        Assert.Equal(Play.IdFor(DefaultWorkspace, ActiveUsersDrop, null, DayNumber(21)), play.PlayId);
        Assert.Equal(("active_users", now, before, 20.0, "21d"), (play.Evidence.Metric, play.Evidence.Value, play.Evidence.Baseline!.Value, play.Evidence.Threshold, play.Evidence.Window));
        Assert.Contains($"{now} in the last 21 days vs {before} in the 21 before", play.Title);
    }

    // ---- churn.core_usage_decline: core events, 21 complete days against the 21 before, baseline of 10 events --------

    [Theory]
    [InlineData(100, 70, true)]  // exactly 30%
    [InlineData(100, 71, false)] // 29%
    [InlineData(10, 7, true)]    // the smallest baseline
    [InlineData(9, 0, false)]    // 9 events are below the minimum baseline of 10
    public void Core_usage_decline_compares_core_events_of_the_last_21_complete_days_with_the_21_before(int before, int now, bool fires)
    {
        var workspace = New();
        workspace.Apply(Enumerable.Range(0, before).Select(_ => _events.CoreUse(Day(0))).ToList(), Processing());
        workspace.Apply([_events.Heartbeat(Day(7))], Processing());
        workspace.Apply([_events.Heartbeat(Day(14))], Processing());
        workspace.Apply([.. Enumerable.Range(0, now).Select(_ => _events.CoreUse(Day(21), "core.export")), _events.Heartbeat(Day(21))], Processing());
        Assert.Empty(workspace.Plays);

        var plays = workspace.AdvanceEngineTime(Midnight(22), Processing());

        if (!fires)
        {
            Assert.Empty(plays);
            return;
        }
        var play = Assert.Single(plays);
        Assert.Equal(CoreUsageDecline, play.RuleId);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.High, OwnerRole.Csm);
        Assert.Equal(DateOf(DayNumber(21)), play.EpisodeStart);
        Assert.Equal(("core_events", now, before, 30.0), (play.Evidence.Metric, play.Evidence.Value, play.Evidence.Baseline!.Value, play.Evidence.Threshold));
    }

    // ---- churn.silence: a previously active workspace without user activity for 14 days -----------------------------

    [Fact]
    public void Silence_fires_when_the_14th_day_without_user_activity_begins_with_no_new_event()
    {
        var workspace = New();
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());

        Assert.Empty(workspace.AdvanceEngineTime(Day(13), Processing()));                  // 13 days
        Assert.Empty(workspace.AdvanceEngineTime(Midnight(14).AddTicks(-1), Processing())); // still 13 days
        var play = Assert.Single(workspace.AdvanceEngineTime(Midnight(14), Processing()));   // 14 days

        Assert.Equal(Silence, play.RuleId);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.High, OwnerRole.Csm);
        Assert.Equal(DateOf(DayNumber(14)), play.EpisodeStart);
        Assert.Equal(Midnight(14), play.EventTime);
        Assert.Equal(14, play.Evidence.Value);
        Assert.Equal($"last user activity on {DateOf(T0):yyyy-MM-dd}", play.Evidence.Detail);
        Assert.Equal("No user activity at Acme for 14 days", play.Title);
        Assert.Equal(3, workspace.EventsApplied); // the clock moved, no event did
        Assert.Equal(Midnight(14), workspace.EngineTime);

        // Staying silent is the same episode.
        Assert.Empty(workspace.AdvanceEngineTime(Day(40), Processing()));
        Assert.Equal(play.PlayId, Assert.Single(workspace.OpenPlays).PlayId);
    }

    [Fact]
    public void Events_without_a_user_do_not_break_the_silence()
    {
        var workspace = New();
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());
        for (var d = 1; d <= 14; d++) workspace.Apply([_events.Heartbeat(Day(d)), _events.CoreUse(Day(d))], Processing());
        var play = Assert.Single(workspace.OpenPlays.Of(Silence));
        Assert.Equal(DateOf(DayNumber(14)), play.EpisodeStart);
    }

    [Fact]
    public void A_workspace_that_was_never_active_is_not_silent()
    {
        var workspace = New();
        workspace.Apply([_events.LimitReached(Day(0)), _events.Heartbeat(Day(0)), _events.CoreUse(Day(1))], Processing());
        Assert.False(workspace.EverActive);
        workspace.AdvanceEngineTime(Day(60), Processing());
        Assert.Empty(workspace.Plays.Of(Silence));
    }

    // ---- churn.usage_anomaly: daily active users vs the same weekday, robust z <= -3.5, at least 4 weeks --------------

    [Theory]
    [InlineData(6, true)]   // z = (6 - 10) / 1 = -4
    [InlineData(7, false)]  // z = -3
    [InlineData(10, false)] // a normal day
    public void Usage_anomaly_judges_a_complete_day_against_the_same_weekday_of_the_4_weeks_before(int today, bool fires)
    {
        var workspace = New();
        foreach (var d in new[] { 0, 7, 14, 21 }) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        workspace.Apply([.. _events.ActiveUsers(0, today, Day(28)), _events.Heartbeat(Day(28))], Processing());
        Assert.Empty(workspace.Plays); // day 28 still running

        var plays = workspace.AdvanceEngineTime(Midnight(29), Processing());

        if (!fires)
        {
            Assert.Empty(plays);
            return;
        }
        var play = Assert.Single(plays);
        Assert.Equal(UsageAnomaly, play.RuleId);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.Medium, OwnerRole.Csm);
        Assert.Equal(DateOf(DayNumber(28)), play.EpisodeStart);
        Assert.Equal(("daily_active_users", (double)today, 10.0, -3.5, "same weekday, 4 weeks"),
            (play.Evidence.Metric, play.Evidence.Value, play.Evidence.Baseline!.Value, play.Evidence.Threshold, play.Evidence.Window));
        Assert.Equal("z = -4 (median 10, scale 1)", play.Evidence.Detail);
    }

    [Fact]
    public void Usage_anomaly_needs_4_earlier_same_weekdays_with_data()
    {
        var workspace = New();
        foreach (var d in new[] { 7, 14, 21 }) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        workspace.Apply([_events.Heartbeat(Day(28))], Processing()); // nobody active at all
        workspace.AdvanceEngineTime(Midnight(29), Processing());
        Assert.Empty(workspace.Plays.Of(UsageAnomaly));
    }

    [Fact]
    public void Usage_anomaly_compares_weekends_with_weekends()
    {
        // Five weeks of 10 users on weekdays and 2 at weekends (T0 is a Monday): the weekends are not anomalies.
        var workspace = New();
        for (var d = 0; d < 35; d++)
            workspace.Apply(_events.ActiveUsers(0, d % 7 >= 5 ? 2 : 10, Day(d)), Processing());
        workspace.AdvanceEngineTime(Midnight(35), Processing());
        Assert.Empty(workspace.Plays);

        // A Monday with the weekend's 2 users is one.
        workspace.Apply(_events.ActiveUsers(0, 2, Day(35)), Processing());
        var play = Assert.Single(workspace.AdvanceEngineTime(Midnight(36), Processing()));
        Assert.Equal(UsageAnomaly, play.RuleId);
        Assert.Equal(DateOf(DayNumber(35)), play.EpisodeStart);
        Assert.Equal("same weekday, 5 weeks", play.Evidence.Window);
    }

    // ---- risk.sponsor_change: a crm.sponsor_changed event, one episode while it is within 30 days ---------------------

    [Fact]
    public void Sponsor_change_fires_on_the_event_and_not_on_other_crm_events()
    {
        var workspace = New();
        Assert.Empty(workspace.Apply([_events.Event("crm.note_added", null, Day(0)), _events.Event("crm.sponsor_changed_maybe", null, Day(0))], Processing()));

        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(Day(0).AddHours(2))], Processing()));
        Assert.Equal(SponsorChange, play.RuleId);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.High, OwnerRole.Csm);
        Assert.Equal(Day(0).AddHours(2), play.EventTime);
        Assert.Equal((1.0, 1.0, "30d"), (play.Evidence.Value, play.Evidence.Threshold, play.Evidence.Window));
    }

    [Fact]
    public void Sponsor_change_holds_for_30_days_of_data_and_a_silent_workspace_keeps_it()
    {
        var workspace = New();
        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(Day(0))], Processing()));

        Assert.Empty(workspace.AdvanceEngineTime(Day(45), Processing())); // no data: the window moving on is not a change
        Assert.Equal(play.PlayId, Assert.Single(workspace.OpenPlays).PlayId);

        Assert.Empty(workspace.Apply([_events.Heartbeat(Day(29))], Processing()).Of(SponsorChange)); // day 0 is in the 30 days ending day 29
        var resolved = Assert.Single(workspace.Apply([_events.Heartbeat(Day(45))], Processing()).Of(SponsorChange));
        Assert.Equal(play.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(Day(45), resolved.ResolvedEventTime);
    }

    [Fact]
    public void Sponsor_change_resolves_on_the_first_day_with_data_after_its_30_days()
    {
        var workspace = New();
        var play = Assert.Single(workspace.Apply([_events.SponsorChanged(Day(0))], Processing()));
        Assert.Empty(workspace.Apply([_events.Heartbeat(Day(29))], Processing()));
        var resolved = Assert.Single(workspace.Apply([_events.Heartbeat(Day(30))], Processing()));
        Assert.Equal(play.PlayId, resolved.PlayId);
        Assert.Equal(Day(30), resolved.ResolvedEventTime);
    }

    // ---- risk.support_escalation: at least 2 support.ticket_escalated within 14 days ------------------------------------

    [Theory]
    [InlineData(0, true)]
    [InlineData(13, true)]  // both inside the 14 days ending the later one
    [InlineData(14, false)] // 15 calendar days: never both in one 14-day window
    [InlineData(15, false)]
    public void Support_escalation_fires_on_the_second_escalation_within_14_days(int daysApart, bool fires)
    {
        var workspace = New();
        Assert.Empty(workspace.Apply([_events.Escalation(Day(0))], Processing()));
        var plays = workspace.Apply([_events.Escalation(Day(daysApart))], Processing());

        if (!fires)
        {
            Assert.Empty(plays);
            return;
        }
        var play = Assert.Single(plays);
        Assert.Equal(SupportEscalation, play.RuleId);
        AssertRouting(play, PlayKind.ChurnRisk, Severity.High, OwnerRole.Csm);
        Assert.Equal(DateOf(DayNumber(daysApart)), play.EpisodeStart);
        Assert.Equal((2.0, 2.0, "14d"), (play.Evidence.Value, play.Evidence.Threshold, play.Evidence.Window));
        Assert.Equal("2 support escalations at Acme in 14d", play.Title);
    }

    [Fact]
    public void Support_escalations_arriving_in_reverse_order_fire_the_same_play()
    {
        var inOrder = New();
        inOrder.Apply([_events.Escalation(Day(0))], Processing());
        var expected = Assert.Single(inOrder.Apply([_events.Escalation(Day(13))], Processing()));

        var reversed = New();
        Assert.Empty(reversed.Apply([_events.Escalation(Day(13))], Processing()));
        var actual = Assert.Single(reversed.Apply([_events.Escalation(Day(0))], Processing())); // late data for day 0

        Assert.Equal(expected.PlayId, actual.PlayId);
        Assert.Equal(expected.EpisodeStart, actual.EpisodeStart);
        Assert.Equal(PlayStatus.Open, actual.Status);
    }

    // ---- onboarding.activation_missed: 60 days after creation without onboarding.completed (while younger than 90) ---

    [Fact]
    public void Activation_missed_fires_60_days_after_creation_as_the_engine_clock_passes_it()
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-60) });
        Assert.Equal(T0, workspace.NextDueAt());

        Assert.Empty(workspace.AdvanceEngineTime(T0.AddTicks(-1), Processing()));
        var play = Assert.Single(workspace.AdvanceEngineTime(T0, Processing()));

        Assert.Equal(ActivationMissed, play.RuleId);
        AssertRouting(play, PlayKind.Onboarding, Severity.High, OwnerRole.Csm);
        Assert.Equal(DateOf(T0), play.EpisodeStart);
        Assert.Equal(T0, play.EventTime);
        Assert.Equal(60, play.Evidence.Value);
        Assert.Equal("Acme has not activated 60 days after sign-up", play.Title);
        Assert.Equal(0, workspace.EventsApplied);
    }

    [Fact]
    public void Activation_missed_does_not_fire_at_59_days_but_does_a_day_later()
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-59) });
        Assert.Empty(workspace.AdvanceEngineTime(T0, Processing()));
        var play = Assert.Single(workspace.AdvanceEngineTime(T0.AddDays(1), Processing()));
        Assert.Equal(ActivationMissed, play.RuleId);
        Assert.Equal(DateOf(T0.AddDays(1)), play.EpisodeStart);
    }

    [Fact]
    public void Activation_missed_does_not_fire_for_an_activated_workspace()
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-60) });
        workspace.Apply([_events.Onboarded(T0.AddDays(-30))], Processing());
        Assert.Empty(workspace.AdvanceEngineTime(T0.AddDays(10), Processing()));
        Assert.Empty(workspace.Plays);
        Assert.Equal(T0.AddDays(-30), workspace.ActivatedAt);
    }

    private const string ActivationMissedBeforeFirstSightBug =
        "src bug: Workspace.SetProfile marks the first profile dirty from int.MinValue (Workspace.cs:140) while nothing is evaluated yet; Evaluate " +
        "returns before clearing _dirtyFrom (Workspace.cs:243), so the first evaluation takes the late-data path (Workspace.cs:255) and moves the " +
        "anchor MaxAnchorLag (199) days before the first event or clock tick, re-running days before the workspace was ever seen. A workspace created " +
        "91..238 days before it is first evaluated (never activated) publishes an open onboarding.activation_missed play dated 60 days after its " +
        "creation (e.g. created T0-150, AdvanceEngineTime(T0): play with episode T0-90, 'has not activated 60 days after sign-up'), which never " +
        "resolves (past 90 days the deadline is no data); 239..289 days fire it silently in the anchor state. Expected: no play, the workspace is past onboarding";

    [Theory]
    [InlineData(730)] // two years old: past onboarding
    [InlineData(400)]
    [InlineData(300)]
    [InlineData(91)]
    [InlineData(150)]
    [InlineData(238)]
    public void Activation_missed_does_not_fire_for_a_workspace_older_than_90_days(int ageDays)
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-ageDays) });
        Assert.Empty(workspace.AdvanceEngineTime(T0, Processing()));
        Assert.Empty(workspace.AdvanceEngineTime(T0.AddDays(30), Processing()));
    }

    [Fact]
    public void Activation_missed_is_still_judged_at_exactly_90_days()
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-90) });
        Assert.Equal(ActivationMissed, Assert.Single(workspace.AdvanceEngineTime(T0, Processing())).RuleId);
    }

    [Fact]
    public void Activation_resolves_the_missed_activation_play()
    {
        var workspace = New(Profile() with { CreatedAt = T0.AddDays(-60) });
        var play = Assert.Single(workspace.AdvanceEngineTime(T0, Processing()));

        var resolved = Assert.Single(workspace.Apply([_events.Onboarded(T0.AddDays(2))], Processing()));
        Assert.Equal(play.PlayId, resolved.PlayId);
        Assert.Equal(PlayStatus.Resolved, resolved.Status);
        Assert.Equal(T0.AddDays(2), resolved.ResolvedEventTime);
        Assert.Null(workspace.NextDueAt()); // activated, never active: nothing is due any more
    }

    // ---- adoption.below_peers: distinct core features over 28 days < 50% of the segment median (>= 5 workspaces) -----

    private List<UsageEvent> Features(int count, DateTimeOffset at) =>
        Enumerable.Range(0, count).Select(i => _events.Active("u0", at, $"core.feature_{i}")).ToList();

    [Theory]
    [InlineData(4, true)]  // 40% of the median
    [InlineData(5, false)] // exactly 50% is not below it
    [InlineData(0, true)]  // data that day, but no core feature at all
    public void Below_peers_fires_under_half_the_segment_median(int features, bool fires)
    {
        var workspace = New();
        workspace.Apply([.. Features(features, Day(0)), _events.Heartbeat(Day(0))], Processing());

        var plays = workspace.SetPeers(new PeerBaseline(10, 5), Processing());

        Assert.Equal(new PeerBaseline(10, 5), workspace.Peers);
        if (!fires)
        {
            Assert.Empty(plays);
            return;
        }
        var play = Assert.Single(plays);
        Assert.Equal(BelowPeers, play.RuleId);
        AssertRouting(play, PlayKind.Adoption, Severity.Low, OwnerRole.Csm);
        Assert.Equal(("core_features_used", (double)features, 10.0, 50.0, "28d"),
            (play.Evidence.Metric, play.Evidence.Value, play.Evidence.Baseline!.Value, play.Evidence.Threshold, play.Evidence.Window));
        Assert.Equal($"{features} distinct core features vs segment median 10 over 5 workspaces", play.Evidence.Detail);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public void Below_peers_never_fires_for_a_segment_of_fewer_than_5_workspaces(int workspaces)
    {
        var workspace = New();
        workspace.Apply(Features(1, Day(0)), Processing());
        Assert.Empty(workspace.SetPeers(new PeerBaseline(10, workspaces), Processing()));
        Assert.Empty(workspace.Apply(Features(1, Day(1)), Processing()));
    }

    [Fact]
    public void Below_peers_needs_a_positive_median_and_fires_whatever_comes_first_peers_or_events()
    {
        var workspace = New();
        workspace.Apply(Features(1, Day(0)), Processing());
        Assert.Empty(workspace.SetPeers(new PeerBaseline(0, 50), Processing()));

        var peersFirst = New();
        Assert.Empty(peersFirst.SetPeers(new PeerBaseline(10, 5), Processing()));
        Assert.Equal(BelowPeers, Assert.Single(peersFirst.Apply(Features(4, Day(0)), Processing())).RuleId);
    }

    [Fact]
    public void Below_peers_counts_distinct_core_features_over_the_last_28_days()
    {
        var workspace = New();
        workspace.Apply(Features(5, Day(-28)), Processing());               // five features, one day too old for the window ending day 0
        workspace.Apply([.. Features(4, Day(-27)).Skip(1)], Processing());  // features 1..3 on the first day of that window
        workspace.Apply([_events.Heartbeat(Day(0))], Processing());
        var play = Assert.Single(workspace.SetPeers(new PeerBaseline(8, 5), Processing()).Of(BelowPeers)); // 3 of 8: 37.5%, not 5 of 8
        Assert.Equal(3, play.Evidence.Value);
        Assert.Equal(3, workspace.Metrics().DistinctCoreFeatures28d);
    }

    // ---- the expansion rules and the usage limit (in depth in WorkspaceRulesTests) -------------------------------------

    [Theory]
    [InlineData(89, false)]
    [InlineData(90, true)]
    public void Seat_pressure_fires_at_90_percent_of_purchased_seats(int users, bool fires)
    {
        var workspace = New(Profile(seats: 100));
        var plays = workspace.Apply(_events.ActiveUsers(0, users, Day(0)), Processing());
        Assert.Equal(fires ? [SeatPressure] : [], plays.Select(p => p.RuleId));
    }

    [Theory]
    [InlineData(3, false)] // 3 of 4 pilots: 75%
    [InlineData(4, true)]
    public void Module_adoption_fires_at_80_percent_of_the_pilot_users(int adopting, bool fires)
    {
        var workspace = New(Profile(pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = Users("p", 5) }));
        var plays = workspace.Apply(Enumerable.Range(0, adopting).Select(i => _events.ModuleUse("reports", $"p{i}", Day(0))).ToList(), Processing());
        Assert.Equal(fires ? [(ModuleAdoption, "reports")] : [], plays.Select(p => (p.RuleId, p.Subject)));
    }

    [Fact]
    public void Usage_limit_fires_on_a_limit_hit_and_holds_for_7_days_of_data()
    {
        var workspace = New();
        Assert.Empty(workspace.Apply([_events.Event("limit.warning", null, Day(0))], Processing()));
        var play = Assert.Single(workspace.Apply([_events.LimitReached(Day(0))], Processing()));
        Assert.Equal(UsageLimit, play.RuleId);
        AssertRouting(play, PlayKind.Expansion, Severity.Medium, OwnerRole.AccountManager);
        Assert.Empty(workspace.Apply([_events.Heartbeat(Day(6))], Processing()));
        Assert.Equal(PlayStatus.Resolved, Assert.Single(workspace.Apply([_events.Heartbeat(Day(7))], Processing())).Status);
    }
}
