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
        var observation = Assert.Single(new SignalCountCondition("support.ticket_escalated", 28, 2).Observe(baselines));
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
        var observation = Assert.Single(new SeatRatioCondition(28, 90, 85).Observe(baselines));
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
        Assert.Empty(new SeatRatioCondition(28, 90, 85).Observe(baselines));
    }

    [Fact]
    public void Seat_ratio_without_recovery_clears_below_the_threshold()
    {
        var baselines = new FakeBaselines { SeatsPurchased = 100, ActiveLast28 = 89 };
        var observation = Assert.Single(new SeatRatioCondition(28, 90).Observe(baselines));
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

        var observations = new CohortShareCondition(28, 80, 70).Observe(baselines).ToList();

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
        var observation = Assert.Single(new CohortShareCondition(28, 80, 70).Observe(baselines));
        Assert.Equal(5, observation.Evidence.Limit);
        Assert.True(observation.Breached);
    }
}
