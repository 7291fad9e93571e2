using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Health;

namespace SignalEngine.Core.Tests.Health;

public class HealthScoreTests
{
    /// <summary>The day every fake's figures are relative to (its watermark day).</summary>
    private static readonly int Today = new FakeBaselines().WatermarkDay;

    private static readonly string[] FactorNames = ["usage_trend", "engagement", "adoption_breadth", "support", "sentiment", "relationship"];

    private static FakeBaselines Full() => new()
    {
        ActiveLast14 = 40, ActivePrior14 = 50, ActiveLast28 = 60, SeatsPurchased = 100,
        Modules = { "a", "b", "c" }, UsedModules = 2,
        HasSupportData = true, SignalCounts = { ["support.ticket_escalated"] = 1 },
        SurveyScore = 7.5,
        HasCrmData = true,
    };

    private static FakeBaselines SentimentOnly(double score) => new() { SurveyScore = score };

    [Fact]
    public void No_inputs_give_no_score_and_status_unknown()
    {
        var health = HealthModel.Default.Compute(new FakeBaselines(), Today);
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
        var health = HealthModel.Default.Compute(Full(), Today);
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
        var baselines = new FakeBaselines { SurveyScore = 4, HasCrmData = true };
        baselines.SignalCounts["crm.sponsor_changed"] = 1;
        var health = HealthModel.Default.Compute(baselines, Today);

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
            if (random.Next(3) > 0) baselines.SurveyScore = Math.Round(random.NextDouble() * 10, random.Next(0, 3));
            if (random.Next(3) > 0) { baselines.HasCrmData = true; baselines.SignalCounts["crm.sponsor_changed"] = random.Next(0, 2); }

            var health = HealthModel.Default.Compute(baselines, Today);
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
        var model = HealthModel.Default with { Weights = new Dictionary<string, double>(HealthModel.Default.Weights) { [HealthModel.Support] = 10 } };
        var baselines = new FakeBaselines { SurveyScore = survey, HasCrmData = true, HasSupportData = true };
        baselines.SignalCounts["crm.sponsor_changed"] = 1;
        baselines.SignalCounts["support.ticket_escalated"] = 1;
        var health = model.Compute(baselines, Today);
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
        var health = HealthModel.Default.Compute(SentimentOnly(survey), Today);
        Assert.Equal(score, health.Score);
        Assert.Equal(status, health.Status);
    }

    [Fact]
    public void Band_edges_are_configurable()
    {
        var model = HealthModel.Default with { GreenFrom = 80, YellowFrom = 50 };
        Assert.Equal(HealthScore.Yellow, model.Compute(SentimentOnly(7.9), Today).Status);
        Assert.Equal(HealthScore.Green, model.Compute(SentimentOnly(8), Today).Status);
        Assert.Equal(HealthScore.Red, model.Compute(SentimentOnly(4.9), Today).Status);
    }

    [Theory]
    [InlineData(50, 50, 100)]
    [InlineData(60, 50, 100)]  // growth is capped at full health
    [InlineData(25, 50, 0)]    // half the users gone
    [InlineData(10, 50, 0)]
    [InlineData(40, 50, 60)]
    public void Usage_trend_compares_the_last_14_days_with_the_14_before(int current, int prior, double value)
    {
        var health = HealthModel.Default.Compute(new FakeBaselines { ActiveLast14 = current, ActivePrior14 = prior }, Today);
        var factor = health.Factors.Single(f => f.Name == "usage_trend");
        Assert.Equal(value, factor.Value);
        Assert.Equal((int)value, health.Score);
    }

    [Fact]
    public void Usage_trend_is_missing_without_prior_users()
    {
        var health = HealthModel.Default.Compute(new FakeBaselines { ActiveLast14 = 10, ActivePrior14 = 0 }, Today);
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
        Assert.Equal((int)value, HealthModel.Default.Compute(baselines, Today).Score);
    }

    private static double ExactValue(FakeBaselines b, string factor) => factor switch
    {
        "usage_trend" => Math.Clamp(((double)b.ActiveLast14 / b.ActivePrior14 - 0.5) / 0.5, 0, 1) * 100,
        "engagement" => Math.Min(1, b.ActiveLast28 / (0.8 * b.SeatsPurchased!.Value)) * 100,
        "adoption_breadth" => b.UsedModules * 100.0 / b.Modules.Count,
        "support" => b.SignalCounts["support.ticket_escalated"] switch { 0 => 100, 1 => 60, 2 => 30, _ => 0 },
        "sentiment" => Math.Clamp(b.SurveyScore!.Value, 0, 10) * 10,
        "relationship" => b.SignalCounts["crm.sponsor_changed"] > 0 ? 30 : 100,
        _ => throw new ArgumentOutOfRangeException(nameof(factor)),
    };
}

/// <summary>The 7-day trend, the factors that moved it, and the daily history of a workspace's health.</summary>
public class HealthTrendTests
{
    private const int Today = 20_000;

    /// <summary>Only a sentiment: no active users in any 14-day window the usage trend reads today or a week ago.</summary>
    private static FakeBaselines SentimentOnly()
    {
        var baselines = new FakeBaselines { WatermarkDay = Today };
        foreach (var day in new[] { Today, Today - 7 })
        {
            baselines.ActiveUsersIn[DayWindow.Ending(day, 14)] = 0;
            baselines.ActiveUsersIn[DayWindow.Ending(day, 14).Previous] = 0;
        }
        return baselines;
    }

    [Fact]
    public void Trend7d_is_the_score_minus_the_score_7_days_earlier_and_the_mover_is_named()
    {
        var baselines = SentimentOnly();
        baselines.SurveysByDay[Today - 10] = 5;
        baselines.SurveysByDay[Today - 3] = 8;

        var health = HealthModel.Default.Explain(baselines, Today);

        Assert.Equal(80, health.Score);
        Assert.Equal(50, HealthModel.Default.Compute(baselines, Today - 7).Score);
        Assert.Equal(30, health.Trend7d);
        Assert.Equal([new FactorMove(HealthModel.Sentiment, 30)], health.Movers);
    }

    [Fact]
    public void Trend7d_is_unknown_when_the_score_7_days_earlier_is()
    {
        var baselines = SentimentOnly();
        baselines.SurveysByDay[Today - 3] = 8;
        var health = HealthModel.Default.Explain(baselines, Today);
        Assert.Equal(80, health.Score);
        Assert.Null(health.Trend7d);
    }

    [Fact]
    public void Movers_are_the_three_factors_whose_points_changed_most_largest_first()
    {
        var b = new FakeBaselines { WatermarkDay = Today, HasSupportData = true, HasCrmData = true };
        var escalation = b.Conventions.EscalationEvent;
        var sponsor = b.Conventions.SponsorChangedEvent;
        // Usage trend: 10 -> 10 users a week ago (100), 10 -> 5 now (0).
        b.ActiveUsersIn[DayWindow.Ending(Today, 14)] = 5;
        b.ActiveUsersIn[DayWindow.Ending(Today, 14).Previous] = 10;
        b.ActiveUsersIn[DayWindow.Ending(Today - 7, 14)] = 10;
        b.ActiveUsersIn[DayWindow.Ending(Today - 7, 14).Previous] = 10;
        // Support: no escalation a week ago (100), three now (0).
        b.SignalCountsIn[(escalation, DayWindow.Ending(Today, 28))] = 3;
        b.SignalCountsIn[(escalation, DayWindow.Ending(Today - 7, 28))] = 0;
        // Sentiment: 9 a week ago, 3 now. Relationship: a sponsor change in both 90-day windows (30, unchanged).
        b.SurveysByDay[Today - 20] = 9;
        b.SurveysByDay[Today - 1] = 3;
        b.SignalCounts[sponsor] = 1;

        var now = HealthModel.Default.Compute(b, Today);
        var before = HealthModel.Default.Compute(b, Today - 7);
        var health = HealthModel.Default.Explain(b, Today);

        // Present weights 30 + 15 + 10 + 10 = 65. Now: 0, 0, 30 x 10/65, 30 x 10/65 -> 9 points; a week ago 88.
        Assert.Equal((9, 88), (now.Score, before.Score));
        Assert.Equal(-79, health.Trend7d);
        Assert.Equal(
            [new FactorMove(HealthModel.UsageTrend, -46), new FactorMove(HealthModel.Support, -23), new FactorMove(HealthModel.Sentiment, -9)],
            health.Movers);
        Assert.Equal(now.Factors, health.Factors);
    }

    [Fact]
    public void Renormalising_the_weights_of_present_factors_does_not_depend_on_the_absent_ones()
    {
        var baselines = new FakeBaselines { WatermarkDay = Today, SurveyScore = 6, HasCrmData = true };
        var heavyAbsent = HealthModel.Default with
        {
            Weights = new Dictionary<string, double>(HealthModel.Default.Weights) { [HealthModel.UsageTrend] = 1000, [HealthModel.Engagement] = 500 },
        };
        var health = HealthModel.Default.Compute(baselines, Today);
        Assert.Equal(80, health.Score); // (60 + 100) / 2
        Assert.Equal(health.Score, heavyAbsent.Compute(baselines, Today).Score);
        Assert.Equal([0.5, 0.5], health.Factors.Where(f => f.Value is not null).Select(f => f.EffectiveWeight!.Value));
        Assert.Equal([10.0, 10.0], health.Factors.Where(f => f.Value is not null).Select(f => f.Weight));
    }

    [Fact]
    public void A_factor_with_zero_weight_contributes_nothing_and_takes_no_share()
    {
        var model = HealthModel.Default with { Weights = new Dictionary<string, double>(HealthModel.Default.Weights) { [HealthModel.Relationship] = 0 } };
        var baselines = new FakeBaselines { WatermarkDay = Today, SurveyScore = 6, HasCrmData = true };
        var health = model.Compute(baselines, Today);
        Assert.Equal(60, health.Score);
        Assert.Equal(0, health.Factors.Single(f => f.Name == HealthModel.Relationship).Contribution);
    }

    // ---- through a workspace --------------------------------------------------------------------------------------------

    private static Core.Workspaces.Workspace Surveyed(out int today)
    {
        var events = new EventFactory();
        var workspace = WorkspaceFactory.New();
        for (var d = -40; d <= 0; d++)
        {
            workspace.Apply([events.Survey(Math.Abs(d) % 11, EventFactory.T0.AddDays(d)), events.Active("u1", EventFactory.T0.AddDays(d))], EventFactory.T0);
        }
        today = Core.Events.EventDay.Of(EventFactory.T0);
        return workspace;
    }

    [Fact]
    public void HealthHistory_has_one_entry_per_day_oldest_first_ending_today()
    {
        var workspace = Surveyed(out var today);
        var history = workspace.HealthHistory(30);

        Assert.Equal(30, history.Count);
        Assert.Equal(Enumerable.Range(today - 29, 30).Select(WorkspaceFactory.DateOf), history.Select(h => h.Day));
        foreach (var (day, health) in history)
        {
            var expected = HealthModel.Default.Compute(workspace, WorkspaceFactory.DayOf(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)));
            WorkspaceAssert.HealthEqual(expected, health);
        }
        Assert.Equal(history[^1].Health.Score, workspace.Health().Score);
        Assert.Equal(history[^1].Health.Score - history[^8].Health.Score, workspace.Health().Trend7d);
        Assert.Equal(75, history[^1].Health.Score); // usage trend 100 (weight 30) and today's survey answer 0 (weight 10)
    }

    [Fact]
    public void HealthHistory_is_bounded_by_the_kept_history_and_follows_the_engine_clock()
    {
        var workspace = Surveyed(out var today);
        Assert.Empty(workspace.HealthHistory(0));
        // Span kept days, the first 28 of them only feed the windows.
        const int bound = Core.Activity.ActivityBitmap.Span - 28;
        var all = workspace.HealthHistory(1000);
        Assert.Equal(bound, all.Count);
        Assert.Equal(WorkspaceFactory.DateOf(today - bound + 1), all[0].Day);
        Assert.Equal(WorkspaceFactory.DateOf(today), all[^1].Day);
        Assert.Equal(bound, workspace.HealthHistory(bound + 1).Count);
        Assert.Equal(bound, workspace.HealthHistory(bound).Count);
        Assert.Equal(bound - 1, workspace.HealthHistory(bound - 1).Count);

        workspace.AdvanceEngineTime(EventFactory.T0.AddDays(10), EventFactory.T0);
        var history = workspace.HealthHistory(5);
        Assert.Equal(WorkspaceFactory.DateOf(today + 10), history[^1].Day);
        Assert.Equal(WorkspaceFactory.DateOf(today + 6), history[0].Day);
    }
}

/// <summary>Properties of the score for any inputs and any weights: explained in whole points that add up, missing inputs left out.</summary>
public class HealthScoreProperties
{
    private const int Today = 20_000;

    /// <summary>Which factors have input and what it is; null = missing. Weights are any non-negative numbers.</summary>
    public sealed record Inputs(
        (int Last, int Prior)? UsageUsers,
        (int Seats, int Active)? Engagement,
        (int Known, int Used)? Modules,
        int? Escalations,
        int? SurveyTenths,
        int? SponsorChanges,
        int[] Weights)
    {
        internal FakeBaselines Baselines()
        {
            var b = new FakeBaselines { WatermarkDay = Today };
            if (UsageUsers is var (last, prior)) (b.ActiveLast14, b.ActivePrior14) = (last, prior);
            if (Engagement is var (seats, active)) (b.SeatsPurchased, b.ActiveLast28) = (seats, active);
            if (Modules is var (known, used))
            {
                for (var m = 0; m < known; m++) b.Modules.Add($"m{m}");
                b.UsedModules = used;
            }
            if (Escalations is { } escalations) { b.HasSupportData = true; b.SignalCounts[b.Conventions.EscalationEvent] = escalations; }
            if (SurveyTenths is { } survey) b.SurveyScore = survey / 10.0;
            if (SponsorChanges is { } changes) { b.HasCrmData = true; b.SignalCounts[b.Conventions.SponsorChangedEvent] = changes; }
            return b;
        }

        public HealthModel Model() => HealthModel.Default with
        {
            Weights = HealthModel.FactorNames.Select((name, i) => (name, (double)Weights[i])).ToDictionary(w => w.name, w => w.Item2),
        };

        public override string ToString() =>
            $"usage {UsageUsers}, engagement {Engagement}, modules {Modules}, escalations {Escalations}, survey {SurveyTenths}, sponsor {SponsorChanges}, weights [{string.Join(",", Weights)}]";
    }

    private static Gen<T?> Maybe<T>(Gen<T> gen) where T : struct =>
        Gen.Frequency((1, Gen.Constant<T?>(null)), (2, gen.Select(v => (T?)v)));

    private static readonly Arbitrary<Inputs> AnyInputs = (
        from usage in Maybe(Gen.Choose(0, 100).Zip(Gen.Choose(0, 80)))
        from engagement in Maybe(Gen.Choose(0, 200).Zip(Gen.Choose(0, 250)))
        from modules in Maybe(Gen.Choose(1, 12).SelectMany(known => Gen.Choose(0, known).Select(used => (known, used))))
        from escalations in Maybe(Gen.Choose(0, 6))
        from survey in Maybe(Gen.Choose(0, 100))
        from sponsor in Maybe(Gen.Choose(0, 2))
        from weights in Gen.ArrayOf(Gen.Frequency((1, Gen.Constant(0)), (4, Gen.Choose(1, 1000))), 6)
        select new Inputs(usage, engagement, modules, escalations, survey, sponsor, weights)).ToArbitrary();

    private static double ExactValue(FakeBaselines b, string factor) => factor switch
    {
        HealthModel.UsageTrend => Math.Clamp(((double)b.ActiveLast14 / b.ActivePrior14 - 0.5) / 0.5, 0, 1) * 100,
        HealthModel.Engagement => Math.Min(1, b.ActiveLast28 / (0.8 * b.SeatsPurchased!.Value)) * 100,
        HealthModel.AdoptionBreadth => b.UsedModules * 100.0 / b.Modules.Count,
        HealthModel.Support => b.SignalCounts[b.Conventions.EscalationEvent] switch { 0 => 100, 1 => 60, 2 => 30, _ => 0 },
        HealthModel.Sentiment => b.SurveyScore!.Value * 10,
        _ => b.SignalCounts[b.Conventions.SponsorChangedEvent] > 0 ? 30 : 100,
    };

    [Property(MaxTest = 500)]
    public Property The_contributions_of_present_factors_add_up_to_the_score_exactly() =>
        Prop.ForAll(AnyInputs, inputs =>
        {
            var health = inputs.Model().Compute(inputs.Baselines(), Today);
            var present = health.Factors.Where(f => f.Value is not null).ToList();
            var presentWeight = present.Sum(f => f.Weight);
            if (presentWeight <= 0)
            {
                Assert.Null(health.Score);
                Assert.Equal(HealthScore.Unknown, health.Status);
                return;
            }
            Assert.NotNull(health.Score);
            Assert.Equal(health.Score.Value, present.Sum(f => f.Contribution!.Value));
            Assert.InRange(health.Score.Value, 0, 100);
            Assert.All(health.Factors.Where(f => f.Value is null), f => Assert.Null(f.Contribution));
            Assert.All(health.Factors.Where(f => f.Value is null), f => Assert.Null(f.EffectiveWeight));
        });

    [Property(MaxTest = 500)]
    public Property Missing_inputs_are_left_out_and_the_weights_of_the_rest_renormalised() =>
        Prop.ForAll(AnyInputs, inputs =>
        {
            var baselines = inputs.Baselines();
            var health = inputs.Model().Compute(baselines, Today);
            var present = health.Factors.Where(f => f.Value is not null).ToList();
            var presentWeight = present.Sum(f => f.Weight);
            if (presentWeight <= 0) return;

            // The score is the weighted mean over the present factors only, rounded half away from zero ...
            var exactScore = present.Sum(f => ExactValue(baselines, f.Name) * f.Weight / presentWeight);
            Assert.Equal((int)Math.Round(exactScore, MidpointRounding.AwayFromZero), health.Score);
            // ... each factor's share is its weight over the present weight, and its points its exact share rounded down or up.
            Assert.Equal(1.0, present.Sum(f => f.EffectiveWeight!.Value), 3);
            foreach (var factor in present)
            {
                Assert.Equal(Math.Round(factor.Weight / presentWeight, 4), factor.EffectiveWeight);
                var exact = ExactValue(baselines, factor.Name) * factor.Weight / presentWeight;
                Assert.InRange(factor.Contribution!.Value, Math.Floor(exact) - 1e-9, Math.Ceiling(exact) + 1e-9);
            }
        });
}
