using System.Globalization;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Health;

/// <summary>One factor of the health score: its value (0–100), its share of the weight, and the points it contributes.</summary>
/// <param name="Contribution">Whole points; the contributions of the present factors add up to the score exactly.</param>
public sealed record HealthFactor(string Name, double? Value, double Weight, double? EffectiveWeight, int? Contribution, string Detail);

/// <summary>How much a factor's contribution changed over the trend period, in points.</summary>
public sealed record FactorMove(string Name, int Points);

/// <summary>
/// A 0–100 composite with its band, the factors it is made of, its change over 7 days and the factors
/// that moved it most. A null score means no input was present.
/// </summary>
public sealed record HealthScore(int? Score, string Status, IReadOnlyList<HealthFactor> Factors)
{
    public const string Green = "green", Yellow = "yellow", Red = "red", Unknown = "unknown";

    /// <summary>Score minus the score 7 days earlier; null when either is unknown.</summary>
    public int? Trend7d { get; init; }

    /// <summary>Factors whose contribution changed most over the 7 days, largest change first.</summary>
    public IReadOnlyList<FactorMove> Movers { get; init; } = [];
}

/// <summary>Factor weights and band edges. Missing inputs are left out and the rest re-normalised, never counted as zero.</summary>
public sealed record HealthModel
{
    public const string UsageTrend = "usage_trend", Engagement = "engagement", AdoptionBreadth = "adoption_breadth",
        Support = "support", Sentiment = "sentiment", Relationship = "relationship";

    public static IReadOnlyList<string> FactorNames { get; } = [UsageTrend, Engagement, AdoptionBreadth, Support, Sentiment, Relationship];

    public IReadOnlyDictionary<string, double> Weights { get; init; } = new Dictionary<string, double>
    {
        [UsageTrend] = 30, [Engagement] = 20, [AdoptionBreadth] = 15, [Support] = 15, [Sentiment] = 10, [Relationship] = 10,
    };
    public int GreenFrom { get; init; } = 70;
    public int YellowFrom { get; init; } = 40;
    public int TrendDays { get; init; } = 7;

    public static HealthModel Default { get; } = new();

    private double Weight(string factor) => Weights.GetValueOrDefault(factor);

    /// <summary>The score at <paramref name="day"/> with its trend and top movers against <see cref="TrendDays"/> earlier.</summary>
    public HealthScore Explain(IWorkspaceBaselines workspace, int day)
    {
        var now = Compute(workspace, day);
        var before = Compute(workspace, day - TrendDays);
        var movers = now.Factors.Zip(before.Factors)
            .Select(pair => new FactorMove(pair.First.Name, (pair.First.Contribution ?? 0) - (pair.Second.Contribution ?? 0)))
            .Where(m => m.Points != 0)
            .OrderByDescending(m => Math.Abs(m.Points)).ThenBy(m => m.Name, StringComparer.Ordinal)
            .Take(3)
            .ToList();
        return now with { Trend7d = now.Score - before.Score, Movers = movers };
    }

    /// <summary>The score as of the end of UTC day <paramref name="day"/>, from the workspace's kept baselines.</summary>
    public HealthScore Compute(IWorkspaceBaselines workspace, int day)
    {
        var factors = new List<(string Name, double? Value, string Detail)>
        {
            UsageTrendFactor(workspace, day),
            EngagementFactor(workspace, day),
            AdoptionBreadthFactor(workspace, day),
            SupportFactor(workspace, day),
            SentimentFactor(workspace, day),
            RelationshipFactor(workspace, day),
        };

        var presentWeight = factors.Where(f => f.Value is not null).Sum(f => Weight(f.Name));
        if (presentWeight <= 0)
            return new HealthScore(null, HealthScore.Unknown, factors.Select(f => new HealthFactor(f.Name, null, Weight(f.Name), null, null, f.Detail)).ToList());

        var exact = factors.Select(f => f.Value is { } v ? v * Weight(f.Name) / presentWeight : (double?)null).ToList();
        var score = (int)Math.Round(exact.Sum(e => e ?? 0), MidpointRounding.AwayFromZero);
        var points = LargestRemainder(exact, score);
        var result = factors.Select((f, i) => new HealthFactor(
            f.Name, f.Value is { } v ? Math.Round(v, 1) : null, Weight(f.Name),
            f.Value is null ? null : Math.Round(Weight(f.Name) / presentWeight, 4), points[i], f.Detail)).ToList();
        var status = score >= GreenFrom ? HealthScore.Green : score >= YellowFrom ? HealthScore.Yellow : HealthScore.Red;
        return new HealthScore(score, status, result);
    }

    /// <summary>Rounds each contribution to whole points so that they add up to the rounded score exactly.</summary>
    private static int?[] LargestRemainder(List<double?> exact, int total)
    {
        var points = exact.Select(e => e is { } v ? (int?)(int)Math.Floor(v) : null).ToArray();
        var missing = total - points.Sum(p => p ?? 0);
        var order = exact.Select((e, i) => (Index: i, Remainder: e is { } v ? v - Math.Floor(v) : -1))
            .Where(x => x.Remainder >= 0)
            .OrderByDescending(x => x.Remainder).ThenBy(x => x.Index).ToList();
        for (var k = 0; k < order.Count && missing != 0; k++)
        {
            var step = Math.Sign(missing);
            var index = missing > 0 ? order[k].Index : order[order.Count - 1 - k].Index;
            points[index] += step;
            missing -= step;
        }
        return points;
    }

    private static (string, double?, string) UsageTrendFactor(IWorkspaceBaselines w, int day)
    {
        var recent = DayWindow.Ending(day, 14);
        var current = w.DistinctActiveUsers(recent);
        var prior = w.DistinctActiveUsers(recent.Previous);
        if (prior == 0) return (UsageTrend, null, "no active users in the prior 14 days to compare with");
        // Flat or growing usage is full health; half the users gone is none.
        var ratio = (double)current / prior;
        var value = Math.Clamp((ratio - 0.5) / 0.5, 0, 1) * 100;
        return (UsageTrend, value, $"{current} active users in the last 14 days vs {prior} in the 14 before");
    }

    private static (string, double?, string) EngagementFactor(IWorkspaceBaselines w, int day)
    {
        if (w.SeatsPurchased is not ({ } seats and > 0)) return (Engagement, null, "no seats purchased in the profile");
        var users = w.DistinctActiveUsers(DayWindow.Ending(day, 28));
        // 80% of seats active in 28 days counts as fully engaged.
        var value = Math.Min(1, users / (0.8 * seats)) * 100;
        return (Engagement, value, $"{users} of {seats} seats active in the last 28 days");
    }

    private static (string, double?, string) AdoptionBreadthFactor(IWorkspaceBaselines w, int day)
    {
        var known = w.KnownModules;
        if (known.Count == 0) return (AdoptionBreadth, null, "no modules seen or piloted");
        var used = w.ModulesUsed(DayWindow.Ending(day, 28));
        return (AdoptionBreadth, used * 100.0 / known.Count, $"{used} of {known.Count} known modules used in the last 28 days");
    }

    private static (string, double?, string) SupportFactor(IWorkspaceBaselines w, int day)
    {
        if (!w.HasSupportData) return (Support, null, "no support events received");
        var escalations = w.SignalCount(w.Conventions.EscalationEvent, DayWindow.Ending(day, 28));
        var value = escalations switch { 0 => 100.0, 1 => 60.0, 2 => 30.0, _ => 0.0 };
        return (Support, value, string.Create(CultureInfo.InvariantCulture, $"{escalations} escalations in the last 28 days"));
    }

    private static (string, double?, string) SentimentFactor(IWorkspaceBaselines w, int day)
    {
        if (w.SurveyScoreAsOf(day) is not { } score) return (Sentiment, null, "no survey answer received");
        return (Sentiment, Math.Clamp(score, 0, 10) * 10, string.Create(CultureInfo.InvariantCulture, $"latest NPS answer {score:0.#} of 10"));
    }

    private static (string, double?, string) RelationshipFactor(IWorkspaceBaselines w, int day)
    {
        if (!w.HasCrmData) return (Relationship, null, "no CRM events received");
        var changes = w.SignalCount(w.Conventions.SponsorChangedEvent, DayWindow.Ending(day, 90));
        return (Relationship, changes > 0 ? 30 : 100, changes > 0 ? "executive sponsor changed in the last 90 days" : "no sponsor change in the last 90 days");
    }
}
