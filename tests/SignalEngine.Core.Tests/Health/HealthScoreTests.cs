using SignalEngine.Core.Health;

namespace SignalEngine.Core.Tests.Health;

public class HealthScoreTests
{
    private static readonly string[] FactorNames = ["usage_trend", "engagement", "adoption_breadth", "support", "sentiment", "relationship"];

    private static FakeBaselines Full() => new()
    {
        ActiveLast14 = 40, ActivePrior14 = 50, ActiveLast28 = 60, SeatsPurchased = 100,
        Modules = { "a", "b", "c" }, UsedModules = 2,
        HasSupportData = true, SignalCounts = { ["support.ticket_escalated"] = 1 },
        LatestSurveyScore = 7.5,
        HasCrmData = true,
    };

    private static FakeBaselines SentimentOnly(double score) => new() { LatestSurveyScore = score };

    [Fact]
    public void No_inputs_give_no_score_and_status_unknown()
    {
        var health = HealthModel.Default.Compute(new FakeBaselines());
        Assert.Null(health.Score);
        Assert.Equal(HealthScore.Unknown, health.Status);
        Assert.Equal(FactorNames, health.Factors.Select(f => f.Name));
        Assert.All(health.Factors, f =>
        {
            Assert.Null(f.Value);
            Assert.Null(f.Contribution);
            Assert.Null(f.EffectiveWeight);
        });
    }

    [Fact]
    public void All_factors_present_give_the_weighted_average()
    {
        var health = HealthModel.Default.Compute(Full());
        // usage 0.8 ratio -> 60; engagement 60/80 -> 75; adoption 2/3 -> 66.67; support 1 escalation -> 60; sentiment 75; relationship 100
        var expected = (60 * 30 + 75 * 20 + (200.0 / 3) * 15 + 60 * 15 + 75 * 10 + 100 * 10) / 100.0;
        Assert.Equal((int)Math.Round(expected, MidpointRounding.AwayFromZero), health.Score);
        Assert.Equal([60, 75, 66.7, 60, 75, 100], health.Factors.Select(f => f.Value!.Value));
        Assert.Equal(health.Score, health.Factors.Sum(f => f.Contribution));
    }

    [Fact]
    public void Missing_factors_are_left_out_and_the_rest_renormalised()
    {
        // Only sentiment (weight 10) and relationship (weight 10) present.
        var baselines = new FakeBaselines { LatestSurveyScore = 4, HasCrmData = true };
        baselines.SignalCounts["crm.sponsor_changed"] = 1;
        var health = HealthModel.Default.Compute(baselines);

        Assert.Equal(35, health.Score); // (40 + 30) / 2, not (40*10 + 30*10) / 100
        foreach (var factor in health.Factors)
        {
            if (factor.Name is "sentiment" or "relationship")
            {
                Assert.NotNull(factor.Contribution);
                Assert.Equal(0.5, factor.EffectiveWeight);
            }
            else
            {
                Assert.Null(factor.Value);
                Assert.Null(factor.Contribution);
                Assert.Null(factor.EffectiveWeight);
            }
        }
        Assert.Equal(35, health.Factors.Sum(f => f.Contribution ?? 0));
    }

    [Fact]
    public void Contributions_of_present_factors_sum_exactly_to_the_score_for_many_inputs()
    {
        var random = new Random(42);
        for (var run = 0; run < 2_000; run++)
        {
            var baselines = new FakeBaselines();
            if (random.Next(3) > 0) { baselines.ActivePrior14 = random.Next(1, 80); baselines.ActiveLast14 = random.Next(0, 100); }
            if (random.Next(3) > 0) { baselines.SeatsPurchased = random.Next(1, 200); baselines.ActiveLast28 = random.Next(0, 220); }
            if (random.Next(3) > 0)
            {
                var known = random.Next(1, 12);
                for (var m = 0; m < known; m++) baselines.Modules.Add($"m{m}");
                baselines.UsedModules = random.Next(0, known + 1);
            }
            if (random.Next(3) > 0) { baselines.HasSupportData = true; baselines.SignalCounts["support.ticket_escalated"] = random.Next(0, 5); }
            if (random.Next(3) > 0) baselines.LatestSurveyScore = Math.Round(random.NextDouble() * 10, random.Next(0, 3));
            if (random.Next(3) > 0) { baselines.HasCrmData = true; baselines.SignalCounts["crm.sponsor_changed"] = random.Next(0, 2); }

            var health = HealthModel.Default.Compute(baselines);
            var present = health.Factors.Where(f => f.Value is not null).ToList();
            if (present.Count == 0)
            {
                Assert.Null(health.Score);
                continue;
            }
            Assert.NotNull(health.Score);
            Assert.InRange(health.Score.Value, 0, 100);
            Assert.Equal(health.Score.Value, present.Sum(f => f.Contribution!.Value));
            Assert.All(health.Factors.Where(f => f.Value is null), f => Assert.Null(f.Contribution));
            Assert.All(present, f => Assert.InRange(f.Contribution!.Value, 0, 100));
            Assert.Equal(1.0, present.Sum(f => f.EffectiveWeight!.Value), 3);

            // Each contribution is its exact share rounded down or up, never further off.
            var presentWeight = present.Sum(f => f.Weight);
            foreach (var factor in present)
            {
                var exact = ExactValue(baselines, factor.Name) * factor.Weight / presentWeight;
                Assert.InRange(factor.Contribution!.Value, Math.Floor(exact) - 1e-9, Math.Ceiling(exact) + 1e-9);
            }
            var exactScore = present.Sum(f => ExactValue(baselines, f.Name) * f.Weight / presentWeight);
            Assert.Equal((int)Math.Round(exactScore, MidpointRounding.AwayFromZero), health.Score);
        }
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(7.7)]
    [InlineData(3.3)]
    [InlineData(8.5)]
    public void Contributions_sum_to_the_score_when_every_share_has_a_remainder(double survey)
    {
        // Three equally weighted factors, so each share is a third of a value: sentiment, relationship (30) and support (60).
        var model = HealthModel.Default with { SupportWeight = 10 };
        var baselines = new FakeBaselines { LatestSurveyScore = survey, HasCrmData = true, HasSupportData = true };
        baselines.SignalCounts["crm.sponsor_changed"] = 1;
        baselines.SignalCounts["support.ticket_escalated"] = 1;
        var health = model.Compute(baselines);
        Assert.Equal(health.Score, health.Factors.Sum(f => f.Contribution ?? 0));
        Assert.Equal((int)Math.Round((survey * 10 + 30 + 60) / 3, MidpointRounding.AwayFromZero), health.Score);
    }

    [Theory]
    [InlineData(10, 100, HealthScore.Green)]
    [InlineData(7, 70, HealthScore.Green)]
    [InlineData(6.9, 69, HealthScore.Yellow)]
    [InlineData(4, 40, HealthScore.Yellow)]
    [InlineData(3.9, 39, HealthScore.Red)]
    [InlineData(0, 0, HealthScore.Red)]
    public void Bands_are_green_from_70_yellow_from_40_and_red_below(double survey, int score, string status)
    {
        var health = HealthModel.Default.Compute(SentimentOnly(survey));
        Assert.Equal(score, health.Score);
        Assert.Equal(status, health.Status);
    }

    [Fact]
    public void Band_edges_are_configurable()
    {
        var model = HealthModel.Default with { GreenFrom = 80, YellowFrom = 50 };
        Assert.Equal(HealthScore.Yellow, model.Compute(SentimentOnly(7.9)).Status);
        Assert.Equal(HealthScore.Green, model.Compute(SentimentOnly(8)).Status);
        Assert.Equal(HealthScore.Red, model.Compute(SentimentOnly(4.9)).Status);
    }

    [Theory]
    [InlineData(50, 50, 100)]
    [InlineData(60, 50, 100)]  // growth is capped at full health
    [InlineData(25, 50, 0)]    // half the users gone
    [InlineData(10, 50, 0)]
    [InlineData(40, 50, 60)]
    public void Usage_trend_compares_the_last_14_days_with_the_14_before(int current, int prior, double value)
    {
        var health = HealthModel.Default.Compute(new FakeBaselines { ActiveLast14 = current, ActivePrior14 = prior });
        var factor = health.Factors.Single(f => f.Name == "usage_trend");
        Assert.Equal(value, factor.Value);
        Assert.Equal((int)value, health.Score);
    }

    [Fact]
    public void Usage_trend_is_missing_without_prior_users()
    {
        var health = HealthModel.Default.Compute(new FakeBaselines { ActiveLast14 = 10, ActivePrior14 = 0 });
        Assert.Null(health.Factors.Single(f => f.Name == "usage_trend").Value);
        Assert.Null(health.Score);
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 60)]
    [InlineData(2, 30)]
    [InlineData(3, 0)]
    [InlineData(9, 0)]
    public void Support_health_falls_with_escalations(long escalations, double value)
    {
        var baselines = new FakeBaselines { HasSupportData = true };
        baselines.SignalCounts["support.ticket_escalated"] = escalations;
        Assert.Equal((int)value, HealthModel.Default.Compute(baselines).Score);
    }

    private static double ExactValue(FakeBaselines b, string factor) => factor switch
    {
        "usage_trend" => Math.Clamp(((double)b.ActiveLast14 / b.ActivePrior14 - 0.5) / 0.5, 0, 1) * 100,
        "engagement" => Math.Min(1, b.ActiveLast28 / (0.8 * b.SeatsPurchased!.Value)) * 100,
        "adoption_breadth" => b.UsedModules * 100.0 / b.Modules.Count,
        "support" => b.SignalCounts["support.ticket_escalated"] switch { 0 => 100, 1 => 60, 2 => 30, _ => 0 },
        "sentiment" => Math.Clamp(b.LatestSurveyScore!.Value, 0, 10) * 10,
        "relationship" => b.SignalCounts["crm.sponsor_changed"] > 0 ? 30 : 100,
        _ => throw new ArgumentOutOfRangeException(nameof(factor)),
    };
}
