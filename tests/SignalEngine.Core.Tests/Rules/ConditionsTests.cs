using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

public class ConditionsTests
{
    [Theory]
    [InlineData(0, false, true)]
    [InlineData(1, false, true)]
    [InlineData(2, true, false)]
    [InlineData(5, true, false)]
    public void Signal_count_breaches_at_the_minimum_count(long count, bool breached, bool cleared)
    {
        var baselines = new FakeBaselines();
        baselines.SignalCounts["support.ticket_escalated"] = count;
        var observation = Assert.Single(new SignalCountCondition("support.ticket_escalated", 28, 2).Observed(baselines, baselines.Point()));
        Assert.Null(observation.Subject);
        Assert.Equal(breached, observation.Breached);
        Assert.Equal(cleared, observation.Cleared);
        Assert.Equal(count, observation.Evidence.Value);
        Assert.Equal("28d", observation.Evidence.Window);
        Assert.Equal(2, observation.Evidence.Threshold);
    }

    [Fact]
    public void Signal_count_declares_the_event_it_counts()
    {
        Assert.Equal(["limit.reached"], new SignalCountCondition("limit.reached", 7, 1).SignalEvents);
    }

    [Theory]
    [InlineData(100, 89, false, false)]
    [InlineData(100, 90, true, false)]
    [InlineData(100, 85, false, false)]
    [InlineData(100, 84, false, true)]
    [InlineData(10, 9, true, false)]
    [InlineData(10, 8, false, true)]     // 80% < 85%
    [InlineData(20, 17, false, false)]   // exactly 85% is not below recovery
    [InlineData(30, 27, true, false)]    // 90% of 30, where 27/30*100 is not exactly 90 in floating point
    [InlineData(7, 6, false, false)]     // 85.71%
    public void Seat_ratio_breaches_at_the_threshold_and_clears_below_recovery(int seats, int users, bool breached, bool cleared)
    {
        var baselines = new FakeBaselines { SeatsPurchased = seats, ActiveLast28 = users };
        var observation = Assert.Single(new SeatRatioCondition(28, 90, 85).Observed(baselines, baselines.Point()));
        Assert.Equal(breached, observation.Breached);
        Assert.Equal(cleared, observation.Cleared);
        Assert.Equal(users, observation.Evidence.Baseline);
        Assert.Equal(seats, observation.Evidence.Limit);
        Assert.Equal(Math.Round(users * 100.0 / seats, 2), observation.Evidence.Value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(0)]
    public void Seat_ratio_observes_nothing_without_purchased_seats(int? seats)
    {
        var baselines = new FakeBaselines { SeatsPurchased = seats, ActiveLast28 = 50 };
        Assert.Empty(new SeatRatioCondition(28, 90, 85).Observed(baselines, baselines.Point()));
    }

    [Fact]
    public void Seat_ratio_without_recovery_clears_below_the_threshold()
    {
        var baselines = new FakeBaselines { SeatsPurchased = 100, ActiveLast28 = 89 };
        var observation = Assert.Single(new SeatRatioCondition(28, 90).Observed(baselines, baselines.Point()));
        Assert.True(observation.Cleared);
    }

    [Fact]
    public void Cohort_share_observes_each_piloted_module_as_its_own_subject_in_name_order()
    {
        var baselines = new FakeBaselines();
        baselines.PilotMap["reports"] = ["a", "b", "c", "d", "e"];
        baselines.PilotMap["billing"] = ["a", "b"];
        baselines.PilotMap["empty"] = [];
        baselines.ModuleUsers["reports"] = ["a", "b", "c", "d", "zz"];
        baselines.ModuleUsers["billing"] = ["a"];

        var observations = new CohortShareCondition(28, 80, 70).Observed(baselines, baselines.Point()).ToList();

        Assert.Equal(["billing", "reports"], observations.Select(o => o.Subject));
        Assert.False(observations[0].Breached);   // 50%
        Assert.True(observations[0].Cleared);
        Assert.True(observations[1].Breached);    // 4 of 5 = 80%
        Assert.Equal(80, observations[1].Evidence.Value);
        Assert.Equal(4, observations[1].Evidence.Baseline);
        Assert.Equal(5, observations[1].Evidence.Limit);
    }

    [Fact]
    public void Cohort_share_counts_a_pilot_listed_twice_once()
    {
        var baselines = new FakeBaselines();
        baselines.PilotMap["reports"] = ["a", "a", "b", "c", "d", "e"];
        baselines.ModuleUsers["reports"] = ["a", "b", "c", "d"];
        var observation = Assert.Single(new CohortShareCondition(28, 80, 70).Observed(baselines, baselines.Point()));
        Assert.Equal(5, observation.Evidence.Limit);
        Assert.True(observation.Breached);
    }
}

/// <summary>The conditions added with the full catalogue, and the "no data" contract of all of them.</summary>
public class ConditionsOfTheFullCatalogueTests
{
    private const int Today = 20_000;

    private static FakeBaselines Baselines() => new() { WatermarkDay = Today };

    // ---- no data --------------------------------------------------------------------------------------------------------

    [Fact]
    public void Observation_NoData_is_unknown_and_neither_breached_nor_cleared()
    {
        var observation = Observation.NoData("reports");
        Assert.False(observation.Known);
        Assert.False(observation.Breached);
        Assert.False(observation.Cleared);
        Assert.Equal("reports", observation.Subject);
        Assert.True(new Observation(null, true, false).Known);
    }

    public static TheoryData<string, RuleCondition> WindowConditions() => new()
    {
        { "event_count", new SignalCountCondition("limit.reached", 7, 1) },
        { "ratio_to_limit", new SeatRatioCondition(28, 90, 85) },
        { "cohort_share", new CohortShareCondition(28, 80, 70) },
        { "change", new ChangeCondition(UsageMetric.ActiveUsers, 21, ChangeDirection.Drop, 20, 5, 10) },
        { "anomaly", new AnomalyCondition(-3.5, -2, 4, 8) },
        { "below_peers", new BelowPeersCondition(28, 50, 5, 60) },
    };

    [Theory]
    [MemberData(nameof(WindowConditions))]
    public void A_day_without_data_is_no_data_for_every_usage_condition(string type, RuleCondition condition)
    {
        var baselines = Baselines();
        baselines.SeatsPurchased = 10;
        baselines.PilotMap["reports"] = ["a"];
        baselines.Peers = new PeerBaseline(10, 5);
        baselines.DataDays = [];
        var observations = condition.Observed(baselines, baselines.Point(hasData: false)).ToList();
        Assert.NotEmpty(observations);
        Assert.All(observations, o => Assert.False(o.Known, type));
        Assert.False(condition.IsTimeBased);
    }

    [Theory]
    [MemberData(nameof(WindowConditions))]
    public void Change_and_anomaly_conditions_judge_complete_days_only(string type, RuleCondition condition)
    {
        var baselines = Baselines();
        baselines.SeatsPurchased = 10;
        baselines.PilotMap["reports"] = ["a"];
        baselines.Peers = new PeerBaseline(10, 5);
        var running = condition.Observed(baselines, baselines.Point(complete: false)).ToList();
        var completeDayConditions = type is "change" or "anomaly";
        Assert.Equal(completeDayConditions, running.All(o => !o.Known));
    }

    // ---- change ---------------------------------------------------------------------------------------------------------

    private static FakeBaselines WithWindows(UsageMetric metric, double now, double before)
    {
        var baselines = Baselines();
        var current = DayWindow.Ending(Today, 21);
        switch (metric)
        {
            case UsageMetric.ActiveUsers:
                baselines.ActiveUsersIn[current] = (int)now;
                baselines.ActiveUsersIn[current.Previous] = (int)before;
                break;
            case UsageMetric.CoreEvents:
                baselines.CoreEventsIn[current] = (long)now;
                baselines.CoreEventsIn[current.Previous] = (long)before;
                break;
            default:
                baselines.CoreFeaturesIn[current] = (int)now;
                baselines.CoreFeaturesIn[current.Previous] = (int)before;
                break;
        }
        return baselines;
    }

    [Theory]
    [InlineData(4, 5, true, false)]      // -20%: breached
    [InlineData(80, 100, true, false)]
    [InlineData(81, 100, false, false)]  // -19%: inside the band (recovery 10)
    [InlineData(90, 100, false, false)]  // exactly -10% is not below the recovery line
    [InlineData(91, 100, false, true)]   // -9%: cleared
    [InlineData(120, 100, false, true)]  // growth: cleared
    [InlineData(0, 4, false, true)]      // baseline below the minimum of 5: cleared, never breached
    [InlineData(0, 0, false, true)]
    public void A_drop_condition_breaches_at_the_threshold_and_clears_below_the_recovery(double now, double before, bool breached, bool cleared)
    {
        var condition = new ChangeCondition(UsageMetric.ActiveUsers, 21, ChangeDirection.Drop, 20, 5, 10);
        var baselines = WithWindows(UsageMetric.ActiveUsers, now, before);
        var observation = Assert.Single(condition.Observed(baselines, baselines.Point()));
        Assert.True(observation.Known);
        Assert.Equal((breached, cleared), (observation.Breached, observation.Cleared));
        Assert.Equal(now, observation.Evidence.Value);
        Assert.Equal(before, observation.Evidence.Baseline);
        Assert.Equal("21d", observation.Evidence.Window);
    }

    [Theory]
    [InlineData(UsageMetric.CoreEvents, 70, 100, true)]
    [InlineData(UsageMetric.CoreEvents, 71, 100, false)]
    [InlineData(UsageMetric.CoreEvents, 7, 10, true)]
    [InlineData(UsageMetric.CoreEvents, 0, 9, false)]
    [InlineData(UsageMetric.CoreFeatures, 7, 10, true)]
    public void A_drop_condition_reads_the_metric_it_names(UsageMetric metric, double now, double before, bool breached)
    {
        var condition = new ChangeCondition(metric, 21, ChangeDirection.Drop, 30, 10, 15);
        var baselines = WithWindows(metric, now, before);
        Assert.Equal(breached, Assert.Single(condition.Observed(baselines, baselines.Point())).Breached);
    }

    [Theory]
    [InlineData(150, 100, true)]
    [InlineData(149, 100, false)]
    [InlineData(50, 100, false)]
    public void A_growth_condition_breaches_on_growth(double now, double before, bool breached)
    {
        var condition = new ChangeCondition(UsageMetric.CoreEvents, 21, ChangeDirection.Growth, 50, 1);
        var baselines = WithWindows(UsageMetric.CoreEvents, now, before);
        var observation = Assert.Single(condition.Observed(baselines, baselines.Point()));
        Assert.Equal(breached, observation.Breached);
        Assert.Equal(!breached, observation.Cleared); // no recovery given: the threshold is the recovery line
    }

    [Theory]
    [InlineData(21, 21, true)]
    [InlineData(21, 17, true)]   // 17 >= 16.8
    [InlineData(21, 16, false)]  // 16 < 16.8: a telemetry gap, not a drop
    [InlineData(20, 16, true)]   // exactly 80%
    [InlineData(20, 15, false)]
    [InlineData(10, 8, true)]    // exactly 80%
    [InlineData(10, 7, false)]
    [InlineData(5, 4, true)]     // exactly 80%
    [InlineData(5, 3, false)]
    [InlineData(1, 1, true)]
    [InlineData(2, 1, false)]    // 1 < 1.6
    [InlineData(0, 1, true)]     // the earlier window had no data: nothing to fall short of
    [InlineData(15, 21, true)]   // more data now than before
    public void A_change_is_judged_only_when_the_current_window_has_data_on_80_percent_of_the_days_the_earlier_one_had(
        int earlierDataDays, int currentDataDays, bool judged)
    {
        // Active users 4 against 10: a drop of 60% whenever judged.
        var condition = new ChangeCondition(UsageMetric.ActiveUsers, 21, ChangeDirection.Drop, 20, 5, 10);
        var baselines = WithWindows(UsageMetric.ActiveUsers, 4, 10);
        var current = DayWindow.Ending(Today, 21);
        // The newest days of the current window (today included), the oldest of the earlier one.
        baselines.DataDays = [.. Enumerable.Range(0, currentDataDays).Select(i => Today - i), .. Enumerable.Range(current.Previous.FirstDay, earlierDataDays)];

        var observation = Assert.Single(condition.Observed(baselines, baselines.Point()));
        Assert.Equal(judged, observation.Known);
        Assert.Equal(judged, observation.Breached);
        Assert.False(observation.Cleared);
    }

    [Fact]
    public void Data_days_are_counted_within_each_window_only()
    {
        var condition = new ChangeCondition(UsageMetric.ActiveUsers, 21, ChangeDirection.Drop, 20, 5, 10);
        var baselines = WithWindows(UsageMetric.ActiveUsers, 4, 10);
        var current = DayWindow.Ending(Today, 21);
        // Data on every day of both windows, and on the ten days before them and after today.
        baselines.DataDays = [.. Enumerable.Range(current.Previous.FirstDay - 10, 42 + 20)];
        Assert.True(Assert.Single(condition.Observed(baselines, baselines.Point())).Breached);
        // One day of data less in the earlier window, five less in the current one: 16 against 20, exactly 80%.
        baselines.DataDays.Remove(current.Previous.FirstDay);
        foreach (var day in Enumerable.Range(current.FirstDay, 5)) baselines.DataDays.Remove(day);
        Assert.True(Assert.Single(condition.Observed(baselines, baselines.Point())).Breached);
        // A sixth day less: 15 against 20.
        baselines.DataDays.Remove(current.FirstDay + 5);
        Assert.False(Assert.Single(condition.Observed(baselines, baselines.Point())).Known);
    }

    // ---- anomaly --------------------------------------------------------------------------------------------------------

    private static FakeBaselines WithDailyActive(int[] history, int today)
    {
        var baselines = Baselines();
        baselines.DataDays = [Today];
        for (var week = 1; week <= history.Length; week++)
        {
            baselines.DailyActive[Today - 7 * week] = history[week - 1];
            baselines.DataDays.Add(Today - 7 * week);
        }
        baselines.DailyActive[Today] = today;
        return baselines;
    }

    [Theory]
    [InlineData(new[] { 10, 10, 10, 10 }, 6, true, false)]          // no spread: scale 1, z = -4
    [InlineData(new[] { 10, 10, 10, 10 }, 7, false, false)]         // z = -3: inside the band (recovery -2)
    [InlineData(new[] { 10, 10, 10, 10 }, 8, false, false)]         // z = -2 exactly: not above the recovery line
    [InlineData(new[] { 10, 10, 10, 10 }, 9, false, true)]          // z = -1: cleared
    [InlineData(new[] { 8, 10, 12, 10, 9, 11 }, 5, false, false)]   // median 10, MAD 1, scale 1.4826: z = -3.37
    [InlineData(new[] { 8, 10, 12, 10, 9, 11 }, 4, true, false)]    // z = -4.05
    public void Anomaly_breaches_at_a_robust_z_at_or_below_the_threshold_and_clears_above_the_recovery(int[] history, int today, bool breached, bool cleared)
    {
        var baselines = WithDailyActive(history, today);
        var observation = Assert.Single(new AnomalyCondition(-3.5, -2, 4, 8).Observed(baselines, baselines.Point()));
        Assert.True(observation.Known);
        Assert.Equal((breached, cleared), (observation.Breached, observation.Cleared));
        Assert.Equal(today, observation.Evidence.Value);
        Assert.Equal(10, observation.Evidence.Baseline);
        Assert.Equal($"same weekday, {history.Length} weeks", observation.Evidence.Window);
    }

    [Theory]
    [InlineData(-4, true)] // z is exactly -4: at the threshold
    [InlineData(-4.01, false)]
    public void Anomaly_threshold_is_inclusive(double threshold, bool breached)
    {
        var baselines = WithDailyActive([10, 10, 10, 10], 6);
        Assert.Equal(breached, Assert.Single(new AnomalyCondition(threshold, -2, 4, 8).Observed(baselines, baselines.Point())).Breached);
    }

    [Fact]
    public void Anomaly_counts_only_same_weekdays_with_data_and_at_most_maxWeeks_of_them()
    {
        // Nine weeks of history, the first one an outlier; weeks 2, 4 and 6 had no data at all.
        var baselines = WithDailyActive([10, 0, 10, 0, 10, 0, 10, 10, 100], 6);
        baselines.DataDays = [Today, .. new[] { 1, 3, 5, 7, 8, 9 }.Select(w => Today - 7 * w)];
        var observation = Assert.Single(new AnomalyCondition(-3.5, -2, 4, 8).Observed(baselines, baselines.Point()));
        Assert.True(observation.Breached);
        Assert.Equal("same weekday, 5 weeks", observation.Evidence.Window); // weeks 1, 3, 5, 7, 8; week 9 is beyond maxWeeks

        baselines.DataDays = [Today, Today - 7, Today - 21, Today - 35];
        Assert.False(Assert.Single(new AnomalyCondition(-3.5, -2, 4, 8).Observed(baselines, baselines.Point())).Known); // 3 weeks
    }

    [Fact]
    public void RobustZ_falls_back_from_MAD_to_mean_absolute_deviation_to_1()
    {
        Assert.Equal(-4 / 1.4826, RobustZ.Of(6, [9, 10, 10, 11, 12], out var median, out var scale), 10); // MAD 1
        Assert.Equal((10, 1.4826), (median, scale));
        // MAD 0 but not all equal: 1.2533 x the mean absolute deviation (2 / 5)
        Assert.Equal(-4 / (1.2533 * 0.4), RobustZ.Of(6, [10, 10, 10, 11, 9], out _, out scale), 10);
        Assert.Equal(1.2533 * 0.4, scale, 10);
        Assert.Equal(-4, RobustZ.Of(6, [10, 10, 10, 10], out _, out scale));
        Assert.Equal(1, scale);
        Assert.Equal(10.5, RobustZ.Median([12, 10, 9, 11]));
    }

    // ---- absence --------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(13, false, true)]
    [InlineData(14, true, false)]
    [InlineData(30, true, false)]
    [InlineData(0, false, true)]
    public void Absence_breaches_after_14_days_without_user_activity(int silentDays, bool breached, bool cleared)
    {
        var baselines = Baselines();
        baselines.EverActive = true;
        baselines.FirstUserActivityDay = Today - 40;
        baselines.UserActivityDays.Add(Today - 40);
        baselines.UserActivityDays.Add(Today - silentDays);
        baselines.UserActivityDays.Add(Today + 5); // activity after the point does not count
        var observation = Assert.Single(new AbsenceCondition(14).Observed(baselines, baselines.Point(hasData: false)));
        Assert.Equal((breached, cleared), (observation.Breached, observation.Cleared));
        Assert.Equal(silentDays, observation.Evidence.Value);
        Assert.True(new AbsenceCondition(14).IsTimeBased);
    }

    [Fact]
    public void Absence_observes_nothing_for_a_workspace_that_was_never_active()
    {
        var baselines = Baselines();
        Assert.Empty(new AbsenceCondition(14).Observed(baselines, baselines.Point()));
        Assert.Null(new AbsenceCondition(14).NextDue(baselines));
    }

    [Theory]
    [InlineData(1, false)]   // the day before the first user: not started, not silent
    [InlineData(0, true)]    // the first user's day: observed (and not silent)
    public void Absence_observes_nothing_before_the_first_user_activity(int daysBeforeFirstUser, bool observed)
    {
        var baselines = Baselines();
        baselines.EverActive = true;
        baselines.FirstUserActivityDay = Today + daysBeforeFirstUser;
        baselines.UserActivityDays.Add(Today + daysBeforeFirstUser);
        var observations = new AbsenceCondition(14).Observed(baselines, baselines.Point(hasData: false)).ToList();
        Assert.Equal(observed, observations.Count == 1);
        Assert.All(observations, o => Assert.Equal((false, true, 0.0), (o.Breached, o.Cleared, o.Evidence.Value)));
    }

    [Fact]
    public void Absence_observes_nothing_when_the_first_user_activity_is_unknown_even_if_ever_active()
    {
        var baselines = Baselines();
        baselines.EverActive = true;
        Assert.Empty(new AbsenceCondition(14).Observed(baselines, baselines.Point(hasData: false)));
    }

    [Fact]
    public void Absence_of_a_workspace_whose_last_activity_left_the_kept_history_is_a_breach()
    {
        // The first user was long ago; no activity the rings still hold.
        var baselines = Baselines();
        baselines.EverActive = true;
        baselines.FirstUserActivityDay = Today - 2 * ActivityBitmap.Span;
        var observation = Assert.Single(new AbsenceCondition(14).Observed(baselines, baselines.Point(hasData: false)));
        Assert.True(observation.Breached);
        Assert.Equal(14 + ActivityBitmap.Span, observation.Evidence.Value);
    }

    [Fact]
    public void Absence_is_next_due_at_the_start_of_the_14th_day_after_the_last_activity()
    {
        var baselines = Baselines();
        baselines.EverActive = true;
        baselines.FirstUserActivityDay = Today - 3;
        baselines.UserActivityDays.Add(Today - 3);
        Assert.Equal(EventDay.Start(Today + 11), new AbsenceCondition(14).NextDue(baselines));
    }

    // ---- deadline -------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(59.99, true, false, false)]
    [InlineData(60, true, true, false)]
    [InlineData(90, true, true, false)]
    [InlineData(90.01, false, false, false)] // past onboarding: no data
    public void Deadline_breaches_60_days_after_creation_while_younger_than_90_days(double ageDays, bool known, bool breached, bool cleared)
    {
        var point = new EvaluationPoint(Today, EventDay.Start(Today).AddHours(12), IsComplete: false, HasData: false);
        var baselines = Baselines();
        baselines.CreatedAt = point.At.AddDays(-ageDays);
        var observation = Assert.Single(new DeadlineCondition(60, 90).Observed(baselines, point));
        Assert.Equal((known, breached, cleared), (observation.Known, observation.Breached, observation.Cleared));
        Assert.Equal(baselines.CreatedAt.Value.AddDays(60), new DeadlineCondition(60, 90).NextDue(baselines));
    }

    [Fact]
    public void Deadline_is_cleared_once_the_milestone_was_reached_by_the_point_in_time()
    {
        var point = new EvaluationPoint(Today, EventDay.Start(Today).AddHours(12), IsComplete: false, HasData: true);
        var baselines = Baselines();
        baselines.CreatedAt = point.At.AddDays(-200);
        baselines.ActivatedAt = point.At;
        var observation = Assert.Single(new DeadlineCondition(60, 90).Observed(baselines, point));
        Assert.True(observation.Known); // reached: judged whatever the age
        Assert.Equal((false, true), (observation.Breached, observation.Cleared));
        Assert.Null(new DeadlineCondition(60, 90).NextDue(baselines));

        baselines.ActivatedAt = point.At.AddTicks(1); // reached later than the point
        Assert.False(Assert.Single(new DeadlineCondition(60, 90).Observed(baselines, point)).Known);
    }

    [Fact]
    public void Deadline_observes_nothing_without_a_creation_date()
    {
        var baselines = Baselines();
        Assert.Empty(new DeadlineCondition(60, 90).Observed(baselines, baselines.Point()));
        Assert.Null(new DeadlineCondition(60, 90).NextDue(baselines));
    }

    // ---- below peers ----------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(4, 10, true, false)]
    [InlineData(5, 10, false, false)] // 50%: in the band
    [InlineData(6, 10, false, true)]  // 60%: at the recovery line
    [InlineData(2, 4.5, true, false)] // 44%: a fractional median
    public void Below_peers_breaches_under_the_ratio_of_the_median_and_clears_at_the_recovery(int mine, double median, bool breached, bool cleared)
    {
        var baselines = Baselines();
        baselines.CoreFeaturesLast28 = mine;
        baselines.Peers = new PeerBaseline(median, 5);
        var observation = Assert.Single(new BelowPeersCondition(28, 50, 5, 60).Observed(baselines, baselines.Point()));
        Assert.Equal((breached, cleared), (observation.Breached, observation.Cleared));
        Assert.Equal(mine, observation.Evidence.Value);
        Assert.Equal(median, observation.Evidence.Baseline);
    }

    [Theory]
    [InlineData(null, 0)]
    [InlineData(10.0, 4)]
    [InlineData(0.0, 50)]
    public void Below_peers_observes_nothing_without_enough_peers_or_a_positive_median(double? median, int workspaces)
    {
        var baselines = Baselines();
        baselines.Peers = median is { } m ? new PeerBaseline(m, workspaces) : null;
        Assert.Empty(new BelowPeersCondition(28, 50, 5, 60).Observed(baselines, baselines.Point()));
    }

    /// <summary>Describe runs only for a breach Observe reported; where Observe reports nothing, Describe refuses instead of "0 of 0 seats".</summary>
    [Fact]
    public void Describing_what_observe_could_not_have_reported_fails_loudly()
    {
        var baselines = Baselines();
        baselines.ActiveLast28 = 50;
        baselines.CoreFeaturesLast28 = 1;
        baselines.DataDays = [Today]; // no earlier weeks for the anomaly's history
        var point = baselines.Point();
        void Refused(RuleCondition condition, string subject)
        {
            var observations = new List<Observation>();
            condition.Observe(baselines, point, observations);
            Assert.DoesNotContain(observations, o => o.Known);
            var error = Assert.Throws<InvalidOperationException>(() => condition.Describe(baselines, point, subject));
            Assert.StartsWith(condition.GetType().Name + ".Describe", error.Message, StringComparison.Ordinal);
        }
        Refused(new SeatRatioCondition(28, 90, 85), null!);
        Refused(new CohortShareCondition(28, 80, 70), "reports");
        Refused(new BelowPeersCondition(28, 50, 5, 60), null!);
        Refused(new AnomalyCondition(-3.5, -2, 4, 8), null!);
    }
}
