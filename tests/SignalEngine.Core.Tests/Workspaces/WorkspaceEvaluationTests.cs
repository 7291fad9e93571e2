using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.DefaultRuleIds;
using static SignalEngine.Core.Tests.EventFactory;
using static SignalEngine.Core.Tests.WorkspaceFactory;

namespace SignalEngine.Core.Tests.Workspaces;

/// <summary>
/// How the workspace evaluates its rules in event time: day by day, gaps, the engine clock, hysteresis,
/// resolution and new episodes, late data and retraction, and when it is next due.
/// Day numbers are relative to <see cref="T0"/> (a Monday, 12:00 UTC).
/// </summary>
public class WorkspaceEvaluationTests
{

    private readonly EventFactory _events = new();
    private int _minute;

    private DateTimeOffset Processing() => T0.AddHours(1).AddMinutes(++_minute);

    // ---- gaps ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_workspace_that_stops_sending_events_gets_churn_silence_after_14_days_and_nothing_else()
    {
        var workspace = WithProfile(Profile());
        for (var d = 0; d < 42; d++)
            workspace.Apply([.. _events.ActiveUsers(0, 10, Day(d)), _events.CoreUse(Day(d), "core.export")], Processing());
        Assert.Empty(workspace.Plays);

        // Then nothing at all for 60 days; the engine clock moves on every day.
        var changes = new List<Play>();
        for (var d = 42; d <= 101; d++) changes.AddRange(workspace.AdvanceEngineTime(Day(d), Processing()));

        var play = Assert.Single(changes);
        Assert.Equal(Silence, play.RuleId);
        Assert.Equal(DateOf(DayNumber(41 + 14)), play.EpisodeStart);
        Assert.Equal(play, Assert.Single(workspace.Plays));
    }

    [Fact]
    public void Advancing_the_clock_over_a_silent_workspace_once_or_day_by_day_gives_the_same_plays()
    {
        Workspace Silent()
        {
            var workspace = WithProfile(Profile());
            for (var d = 0; d < 42; d++) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
            return workspace;
        }
        var daily = Silent();
        for (var d = 42; d <= 101; d++) daily.AdvanceEngineTime(Day(d), Processing());
        var once = Silent();
        once.AdvanceEngineTime(Day(101), Processing());

        Assert.Equal(PlayKeys(daily), PlayKeys(once));
    }

    [Fact]
    public void A_telemetry_gap_is_not_a_usage_drop_when_data_resumes()
    {
        var workspace = WithProfile(Profile());
        var changes = new List<Play>();
        for (var d = 0; d < 42; d++) changes.AddRange(workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing()));
        for (var d = 52; d < 70; d++) changes.AddRange(workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing())); // days 42..51: no data
        Assert.Empty(changes.Of(ActiveUsersDrop));
        Assert.Empty(changes.Of(CoreUsageDecline));
        Assert.Empty(changes.Of(UsageAnomaly));
    }

    [Fact]
    public void Rules_on_usage_are_not_evaluated_on_days_without_data()
    {
        // Ten users for three weeks (days 0..20), then nothing for 19 days: no judgement on days without data.
        var workspace = WithProfile(Profile());
        for (var d = 0; d < 21; d++) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        workspace.AdvanceEngineTime(Day(40), Processing());
        Assert.Empty(workspace.Plays.Of(ActiveUsersDrop));

        // Data resumes on day 40 with four users a day. The 21-day windows of day d are d-20..d and d-41..d-21;
        // a day is judged once the current window has data on at least 80% of the days the earlier one had:
        //   day 40: data on 20 and 40 (2 days) against 0..19 (20 days): no data
        //   day 49: data on 40..49 (10 days) against 8..20 (13 days, 10 < 10.4): no data
        //   day 50: data on 40..50 (11 days) against 9..20 (12 days, 11 >= 9.6): judged, 4 users against 10: a drop.
        for (var d = 40; d <= 49; d++) workspace.Apply(_events.ActiveUsers(0, 4, Day(d)), Processing());
        workspace.AdvanceEngineTime(Midnight(50), Processing()); // day 49 complete
        Assert.Empty(workspace.Plays.Of(ActiveUsersDrop));

        workspace.Apply(_events.ActiveUsers(0, 4, Day(50)), Processing());
        workspace.AdvanceEngineTime(Midnight(51), Processing()); // day 50 complete
        var drop = Assert.Single(workspace.Plays.Of(ActiveUsersDrop));
        Assert.Equal(DateOf(DayNumber(50)), drop.EpisodeStart);
        Assert.Equal(4, drop.Evidence.Value);
        Assert.Equal(10, drop.Evidence.Baseline);
    }

    [Fact]
    public void A_single_day_of_data_after_a_long_gap_is_not_judged_a_drop()
    {
        // Ten users for three weeks, 39 days without data, then one day with a single event and no user: the
        // current window (40..60) has data on one day, the earlier one (19..39) on two: too little to compare.
        var workspace = WithProfile(Profile());
        for (var d = 0; d < 21; d++) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        workspace.AdvanceEngineTime(Day(60), Processing());
        workspace.Apply([_events.Heartbeat(Day(60))], Processing());
        workspace.AdvanceEngineTime(Midnight(61), Processing());
        Assert.Empty(workspace.Plays.Of(ActiveUsersDrop));

        // A second day of data: 41..61 has data on two days (60, 61), 20..40 on one (20): judged, 0 users against 10.
        workspace.Apply([_events.Heartbeat(Day(61))], Processing());
        workspace.AdvanceEngineTime(Midnight(62), Processing());
        var drop = Assert.Single(workspace.Plays.Of(ActiveUsersDrop));
        Assert.Equal(DateOf(DayNumber(61)), drop.EpisodeStart);
        Assert.Equal(0, drop.Evidence.Value);
        Assert.Equal(10, drop.Evidence.Baseline);
    }

    [Theory]
    [InlineData(46, 61)] // 16 data days in 41..61 against 20 in 20..40: exactly 80%, judged on day 61
    [InlineData(47, 62)] // 15 against 20 on day 61 (75%): no data; day 62: 16 in 42..62 against 19 in 21..41: judged
    public void A_drop_is_judged_once_the_current_window_has_data_on_80_percent_of_the_days_the_earlier_one_had(int resumeDay, int episodeDay)
    {
        // Ten users on days 0..40 except day 30 (no data), nothing on days 41..resumeDay-1, then four users a day.
        // Until day 60 the current window still holds day 40 and its ten users: no drop to find.
        Assert.Equal(0.8, ChangeCondition.MinimumDataDaysRatio);
        var workspace = WithProfile(Profile());
        for (var d = 0; d <= 40; d++)
            if (d != 30) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        var changes = new List<Play>();
        for (var d = resumeDay; d <= 63; d++) changes.AddRange(workspace.Apply(_events.ActiveUsers(0, 4, Day(d)), Processing()));

        var drop = Assert.Single(changes.Of(ActiveUsersDrop));
        Assert.Equal(DateOf(DayNumber(episodeDay)), drop.EpisodeStart);
        Assert.Equal(4, drop.Evidence.Value);
        Assert.Equal(10, drop.Evidence.Baseline);
    }

    // ---- the engine clock -----------------------------------------------------------------------------------------------

    [Fact]
    public void The_engine_clock_only_moves_forward()
    {
        var workspace = WithProfile(Profile());
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());
        Assert.Empty(workspace.AdvanceEngineTime(Day(10), Processing()));
        Assert.Empty(workspace.AdvanceEngineTime(Day(5), Processing()));
        Assert.Equal(Day(10), workspace.EngineTime);
        Assert.Empty(workspace.AdvanceEngineTime(Day(10), Processing()));
        Assert.Single(workspace.AdvanceEngineTime(Day(14), Processing())); // silence
        Assert.Equal(Day(0), workspace.Watermark);
    }

    [Fact]
    public void Rules_run_up_to_the_later_of_the_watermark_and_the_engine_clock()
    {
        var workspace = New();
        workspace.AdvanceEngineTime(Day(0), Processing());
        workspace.Apply(_events.ActiveUsers(0, 3, Day(-20)), Processing()); // a workspace whose events lag the engine
        Assert.Equal(Day(-20), workspace.Watermark);
        var silence = Assert.Single(workspace.Plays);
        Assert.Equal(Silence, silence.RuleId);
        Assert.Equal(DateOf(DayNumber(-6)), silence.EpisodeStart);
    }

    [Fact]
    public void NextDueAt_is_the_start_of_the_14th_day_after_the_last_user_activity()
    {
        var workspace = New();
        Assert.Null(workspace.NextDueAt());
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());
        Assert.Equal(Midnight(14), workspace.NextDueAt());
        workspace.Apply(_events.ActiveUsers(0, 1, Day(3)), Processing());
        Assert.Equal(Midnight(17), workspace.NextDueAt());

        workspace.AdvanceEngineTime(Midnight(17), Processing());
        Assert.Equal(Silence, Assert.Single(workspace.OpenPlays).RuleId);
        Assert.Null(workspace.NextDueAt()); // fired: nothing more to wake up for
    }

    [Fact]
    public void NextDueAt_is_null_for_a_workspace_that_was_never_active()
    {
        var workspace = New();
        workspace.Apply([_events.LimitReached(Day(0))], Processing());
        Assert.Null(workspace.NextDueAt());
    }

    [Fact]
    public void NextDueAt_is_the_activation_deadline_of_a_young_workspace()
    {
        var workspace = WithProfile(Profile() with { CreatedAt = Day(-10) });
        Assert.Equal(Day(50), workspace.NextDueAt());
    }

    [Fact]
    public void NextDueAt_of_an_old_workspace_without_an_activation_event_is_its_silence_deadline()
    {
        // A full kept history first, so that re-running it for the profile finds activity everywhere.
        var workspace = New();
        for (var d = 1 - ActivityBitmap.Span; d <= 0; d++) workspace.Apply(_events.ActiveUsers(0, 3, Day(d)), Processing());
        workspace.SetProfile(Profile(), Processing()); // created 400 days ago, never activated
        Assert.Equal(Midnight(14), workspace.NextDueAt());
    }

    [Fact]
    public void NextDueAt_after_a_user_returns_from_a_silence_is_the_next_silence_deadline()
    {
        var workspace = New();
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());
        workspace.AdvanceEngineTime(Day(20), Processing());
        Assert.Equal(PlayStatus.Resolved, Assert.Single(workspace.Apply(_events.ActiveUsers(0, 1, Day(25)), Processing())).Status);
        Assert.Equal(Midnight(39), workspace.NextDueAt());
    }

    // ---- resolution and new episodes -------------------------------------------------------------------------------------

    [Fact]
    public void A_returning_user_resolves_the_silence_and_a_later_silence_is_a_new_episode_with_a_new_id()
    {
        var workspace = WithProfile(Profile());
        workspace.Apply(_events.ActiveUsers(0, 3, Day(0)), Processing());
        var first = Assert.Single(workspace.AdvanceEngineTime(Day(20), Processing()));
        Assert.Equal(DateOf(DayNumber(14)), first.EpisodeStart);

        var returning = Processing();
        var resolved = Assert.Single(workspace.Apply(_events.ActiveUsers(0, 1, Day(25)), returning));
        Assert.Equal((first.PlayId, PlayStatus.Resolved), (resolved.PlayId, resolved.Status));
        Assert.Equal(Day(25), resolved.ResolvedEventTime);
        Assert.Equal(returning, resolved.ResolvedAt);
        Assert.Equal(first.FiredAt, resolved.FiredAt);
        Assert.Empty(workspace.OpenPlays);

        var second = Assert.Single(workspace.AdvanceEngineTime(Day(45), Processing()));
        Assert.Equal(Silence, second.RuleId);
        Assert.Equal(DateOf(DayNumber(39)), second.EpisodeStart);
        Assert.NotEqual(first.PlayId, second.PlayId);
        Assert.Equal(Play.IdFor(DefaultWorkspace, Silence, null, DayNumber(39)), second.PlayId);

        Assert.Equal(
            [(first.PlayId, PlayStatus.Resolved), (second.PlayId, PlayStatus.Open)],
            workspace.Plays.OrderBy(p => p.EpisodeStart).Select(p => (p.PlayId, p.Status)));
        Assert.Equal([second.PlayId], workspace.OpenPlays.Select(p => p.PlayId));
    }

    [Fact]
    public void A_drop_resolves_once_the_last_21_days_hold_the_users_again()
    {
        var workspace = WithProfile(Profile());
        foreach (var d in new[] { -14, -7, 0 }) workspace.Apply(_events.ActiveUsers(0, 10, Day(d)), Processing());
        foreach (var d in new[] { 7, 14, 21 }) workspace.Apply(_events.ActiveUsers(0, 7, Day(d)), Processing());
        var drop = Assert.Single(workspace.AdvanceEngineTime(Midnight(22), Processing()).Of(ActiveUsersDrop)); // 30% on day 21

        // Day 22: all ten back, the 21 days ending day 22 hold 10 users again: 0% drop, below the 10% recovery line.
        workspace.Apply(_events.ActiveUsers(0, 10, Day(22)), Processing());
        var resolved = Assert.Single(workspace.AdvanceEngineTime(Midnight(23), Processing()).Of(ActiveUsersDrop));
        Assert.Equal((drop.PlayId, PlayStatus.Resolved), (resolved.PlayId, resolved.Status));
        Assert.Equal(Midnight(23), resolved.ResolvedEventTime);
        Assert.Empty(workspace.OpenPlays);
    }

    // ---- hysteresis -------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_peer_comparison_hovering_around_the_threshold_fires_once_and_ends_only_past_the_recovery_line()
    {
        var condition = Assert.IsType<BelowPeersCondition>(Rule(BelowPeers).Condition);
        var (ratio, recovery) = (condition.RatioPercent, condition.RecoveryPercent!.Value); // 50 and 60 in the catalogue
        Assert.True(recovery > ratio);
        const int features = 6; // 60% of a median of 10 is exactly 6: the recovery line is hit exactly
        PeerBaseline At(double percentOfMedian) => new(features * 100.0 / percentOfMedian, 5);

        var workspace = WithProfile(Profile());
        var changes = new List<Play>();
        var script = new[]
        {
            ratio - 10,                 // below: fires
            (ratio + recovery) / 2,     // in the band: holds
            ratio - 1,                  // below again: same episode
            recovery - 0.5,             // just short of the recovery line: holds
            ratio - 5,
            recovery,                   // at the recovery line: ends
        };
        for (var d = 0; d < script.Length; d++)
        {
            changes.AddRange(workspace.Apply(Enumerable.Range(0, features).Select(i => _events.Active("u0", Day(d), $"core.f{i}")).ToList(), Processing()));
            changes.AddRange(workspace.SetPeers(At(script[d]), Processing()));
            if (d < script.Length - 1) Assert.Single(workspace.OpenPlays.Of(BelowPeers));
        }

        var plays = changes.Of(BelowPeers);
        Assert.Equal([PlayStatus.Open, PlayStatus.Resolved], plays.Select(p => p.Status));
        Assert.Single(plays.Select(p => p.PlayId).Distinct());
        Assert.Equal(DateOf(DayNumber(0)), plays[0].EpisodeStart);
        Assert.Equal(Day(script.Length - 1), plays[1].ResolvedEventTime);
    }

    // ---- late data and retraction ---------------------------------------------------------------------------------------------

    private Workspace WithADrop()
    {
        var workspace = WithProfile(Profile());
        foreach (var d in new[] { -14, -7, 0 }) workspace.Apply(_events.ActiveUsers(0, 5, Day(d)), Processing());
        foreach (var d in new[] { 7, 14, 21 }) workspace.Apply(_events.ActiveUsers(0, 4, Day(d)), Processing());
        Assert.Single(workspace.AdvanceEngineTime(Midnight(22), Processing()).Of(ActiveUsersDrop));
        return workspace;
    }

    [Fact]
    public void Late_data_that_undoes_a_drop_retracts_its_play()
    {
        var workspace = WithADrop();
        var drop = Assert.Single(workspace.OpenPlays);

        var processing = Processing();
        var retracted = Assert.Single(workspace.Apply([_events.Active("u4", Day(10))], processing)); // u4 was active after all

        Assert.Equal((drop.PlayId, PlayStatus.Retracted), (retracted.PlayId, retracted.Status));
        Assert.Equal(processing, retracted.ResolvedAt);
        Assert.Null(retracted.ResolvedEventTime);
        Assert.Empty(workspace.OpenPlays);
        Assert.Equal(retracted, Assert.Single(workspace.Plays)); // still listed, as retracted
    }

    [Fact]
    public void A_retracted_play_that_the_history_supports_again_comes_back_open_with_the_same_id()
    {
        var workspace = WithProfile(Profile());
        workspace.Apply(Enumerable.Range(0, 4).Select(i => _events.Active("u0", Day(0), $"core.f{i}")).ToList(), Processing());
        var fired = Assert.Single(workspace.SetPeers(new PeerBaseline(10, 5), Processing()));
        workspace.Apply(Enumerable.Range(4, 2).Select(i => _events.Active("u0", Day(0), $"core.f{i}")).ToList(), Processing()); // 6 of 10: retracted
        Assert.Equal(PlayStatus.Retracted, Assert.Single(workspace.Plays).Status);

        var reopened = Assert.Single(workspace.SetPeers(new PeerBaseline(20, 5), Processing())); // 6 of 20
        Assert.Equal((fired.PlayId, PlayStatus.Open), (reopened.PlayId, reopened.Status));
        Assert.Null(reopened.ResolvedAt);
        Assert.Equal(reopened, Assert.Single(workspace.OpenPlays));
    }

    [Fact]
    public void Late_data_can_fire_a_play_in_the_past_that_already_ended()
    {
        var workspace = WithProfile(Profile());
        workspace.Apply([_events.Escalation(Day(0))], Processing());
        workspace.Apply([_events.Heartbeat(Day(30))], Processing());

        var play = Assert.Single(workspace.Apply([_events.Escalation(Day(5))], Processing()));
        Assert.Equal(SupportEscalation, play.RuleId);
        Assert.Equal(DateOf(DayNumber(5)), play.EpisodeStart);
        Assert.Equal(Midnight(6), play.EventTime);
        Assert.Equal(PlayStatus.Resolved, play.Status);
        Assert.Equal(Day(30), play.ResolvedEventTime);
        Assert.Empty(workspace.OpenPlays);
    }

    [Fact]
    public void A_provisional_play_that_the_rest_of_its_day_does_not_support_is_retracted()
    {
        // Rules are judged per UTC day: a crossing seen mid-day fires at once, and is withdrawn if the day ends up not crossing.
        var workspace = WithProfile(Profile());
        workspace.Apply(Enumerable.Range(0, 4).Select(i => _events.Active("u0", Day(0), $"core.f{i}")).ToList(), Processing());
        var fired = Assert.Single(workspace.SetPeers(new PeerBaseline(10, 5), Processing()));
        Assert.Equal(BelowPeers, fired.RuleId);

        var retracted = Assert.Single(workspace.Apply(Enumerable.Range(4, 2).Select(i => _events.Active("u0", Day(0).AddHours(1), $"core.f{i}")).ToList(), Processing()));
        Assert.Equal((fired.PlayId, PlayStatus.Retracted), (retracted.PlayId, retracted.Status));

        // Later the same day the features do not come back (they cannot): the retraction stands when the day completes.
        Assert.Empty(workspace.AdvanceEngineTime(Midnight(1), Processing()).Of(BelowPeers));
        Assert.Equal(PlayStatus.Retracted, Assert.Single(workspace.Plays).Status);
    }

    [Fact]
    public void Out_of_order_days_give_the_plays_of_the_ordered_history()
    {
        var days = Enumerable.Range(0, 40).ToList();
        List<UsageEvent> DayEvents(EventFactory events, int d) =>
        [
            .. events.ActiveUsers(0, d < 25 ? 10 : 6, Day(d)),
            .. d is 3 or 9 or 30 ? [events.Escalation(Day(d))] : Array.Empty<UsageEvent>(),
            .. d is 12 ? [events.LimitReached(Day(d))] : Array.Empty<UsageEvent>(),
        ];

        var ordered = WithProfile(Profile());
        var orderedEvents = new EventFactory();
        foreach (var d in days) ordered.Apply(DayEvents(orderedEvents, d), Processing());

        var shuffled = WithProfile(Profile());
        var shuffledEvents = new EventFactory();
        foreach (var d in days.Shuffled(new Random(5))) shuffled.Apply(DayEvents(shuffledEvents, d), Processing());

        Assert.Equal(LiveKeys(ordered), LiveKeys(shuffled));
        Assert.Contains(LiveKeys(ordered), k => k.RuleId == UsageAnomaly);
        Assert.Contains(LiveKeys(ordered), k => k.RuleId == SupportEscalation);
    }

    // ---- known defects ------------------------------------------------------------------------------------------------------

    [Fact]
    public void A_workspace_is_not_silent_before_its_first_user()
    {
        var workspace = WithProfile(Profile());
        workspace.Apply([_events.LimitReached(Day(0))], Processing());
        var changes = workspace.Apply(_events.ActiveUsers(0, 1, Day(3)), Processing());
        Assert.Empty(changes.Of(Silence));
        Assert.Empty(workspace.Plays.Of(Silence));
    }

    [Fact]
    public void A_late_event_long_after_an_episode_does_not_republish_it()
    {
        // Ten users; u0..u4 pause on days 54..62, u5..u9 stop after day 62: the active users drop from 10 to 5 (episode on day 83).
        List<UsageEvent> DayEvents(int d) =>
        [
            _events.Heartbeat(Day(d)),
            .. Enumerable.Range(0, 10).Where(u => u < 5 ? d <= 53 || d >= 63 : d <= 62).Select(u => _events.Active($"u{u}", Day(d))),
        ];
        // The anchor may trail the newest day by Span - (the longest look-back) - 1 days; each time it would trail further it
        // moves up by 21 days (-1, 20, 41, 62, 83): run long enough for it to reach the episode's day.
        var maxAnchorLag = ActivityBitmap.Span - RuleCatalogue.Default.MaxLookbackDays - 1;
        var lastDay = maxAnchorLag + 69; // the anchor reaches day 83 on day 62 + maxAnchorLag + 1
        var workspace = New();
        var published = new List<Play>();
        for (var d = 0; d <= lastDay; d++) published.AddRange(workspace.Apply(DayEvents(d), Processing()));
        var drops = published.Of(ActiveUsersDrop);
        Assert.Equal([PlayStatus.Open, PlayStatus.Resolved], drops.Select(p => p.Status));
        Assert.All(drops, p => Assert.Equal(DateOf(DayNumber(83)), p.EpisodeStart));
        Assert.Empty(workspace.Plays.Of(ActiveUsersDrop)); // resolved and behind the anchor: forgotten

        var changes = workspace.Apply([_events.Heartbeat(Day(lastDay - 39).AddHours(1))], Processing()); // late, within the 90-day retention
        Assert.Empty(changes.Of(ActiveUsersDrop));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------------

    private static Workspace New() => WorkspaceFactory.New();

    private static HashSet<(string PlayId, string RuleId, string? Subject, PlayStatus Status)> PlayKeys(Workspace workspace) =>
        workspace.Plays.Select(p => (p.PlayId, p.RuleId, p.Subject, p.Status)).ToHashSet();

    private static HashSet<(string PlayId, string RuleId, string? Subject, PlayStatus Status)> LiveKeys(Workspace workspace) =>
        workspace.Plays.Where(p => p.Status != PlayStatus.Retracted).Select(p => (p.PlayId, p.RuleId, p.Subject, p.Status)).ToHashSet();
}
