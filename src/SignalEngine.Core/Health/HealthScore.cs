using System.Globalization;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Health;

/// <summary>One factor of the health score: its value (0–100), its share of the weight, and the points it contributes.</summary>
/// <param name="Contribution">Whole points; the contributions of the present factors add up to the score exactly.</param>
public sealed record HealthFactor(string Name, double? Value, double Weight, double? EffectiveWeight, int? Contribution, string Detail);

/// <summary>A 0–100 composite with its band and the factors it is made of. A null score means no input was present.</summary>
public sealed record HealthScore(int? Score, string Status, IReadOnlyList<HealthFactor> Factors)
{
    public const string Green = "green", Yellow = "yellow", Red = "red", Unknown = "unknown";
}

/// <summary>Factor weights and band edges. Missing inputs are left out and the rest re-normalised, never counted as zero.</summary>
public sealed record HealthModel
{
    public double UsageTrendWeight { get; init; } = 30;
    public double EngagementWeight { get; init; } = 20;
    public double AdoptionBreadthWeight { get; init; } = 15;
    public double SupportWeight { get; init; } = 15;
    public double SentimentWeight { get; init; } = 10;
    public double RelationshipWeight { get; init; } = 10;
    public int GreenFrom { get; init; } = 70;
    public int YellowFrom { get; init; } = 40;

    public static HealthModel Default { get; } = new();

    public HealthScore Compute(IWorkspaceBaselines workspace)
    {
        var today = workspace.WatermarkDay;
        var factors = new List<(string Name, double? Value, double Weight, string Detail)>
        {
            UsageTrend(workspace, today),
            Engagement(workspace, today),
            AdoptionBreadth(workspace, today),
            Support(workspace, today),
            Sentiment(workspace),
            Relationship(workspace, today),
        };

        var presentWeight = factors.Where(f => f.Value is not null).Sum(f => f.Weight);
        if (presentWeight <= 0)
            return new HealthScore(null, HealthScore.Unknown, factors.Select(f => new HealthFactor(f.Name, null, f.Weight, null, null, f.Detail)).ToList());

        var exact = factors.Select(f => f.Value is { } v ? v * f.Weight / presentWeight : (double?)null).ToList();
        var score = (int)Math.Round(exact.Sum(e => e ?? 0), MidpointRounding.AwayFromZero);
        var points = LargestRemainder(exact, score);
        var result = factors.Select((f, i) => new HealthFactor(
            f.Name, f.Value is { } v ? Math.Round(v, 1) : null, f.Weight,
            f.Value is null ? null : Math.Round(f.Weight / presentWeight, 4), points[i], f.Detail)).ToList();
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

    private (string, double?, double, string) UsageTrend(IWorkspaceBaselines w, int today)
    {
        var recent = DayWindow.Ending(today, 14);
        var current = w.DistinctActiveUsers(recent);
        var prior = w.DistinctActiveUsers(recent.Previous);
        if (prior == 0) return ("usage_trend", null, UsageTrendWeight, "no active users in the prior 14 days to compare with");
        // Flat or growing usage is full health; half the users gone is none.
        var ratio = (double)current / prior;
        var value = Math.Clamp((ratio - 0.5) / 0.5, 0, 1) * 100;
        return ("usage_trend", value, UsageTrendWeight, $"{current} active users in the last 14 days vs {prior} in the 14 before");
    }

    private (string, double?, double, string) Engagement(IWorkspaceBaselines w, int today)
    {
        if (w.SeatsPurchased is not ({ } seats and > 0)) return ("engagement", null, EngagementWeight, "no seats purchased in the profile");
        var users = w.DistinctActiveUsers(DayWindow.Ending(today, 28));
        // 80% of seats active in 28 days counts as fully engaged.
        var value = Math.Min(1, users / (0.8 * seats)) * 100;
        return ("engagement", value, EngagementWeight, $"{users} of {seats} seats active in the last 28 days");
    }

    private (string, double?, double, string) AdoptionBreadth(IWorkspaceBaselines w, int today)
    {
        var known = w.KnownModules;
        if (known.Count == 0) return ("adoption_breadth", null, AdoptionBreadthWeight, "no modules seen or piloted");
        var used = w.ModulesUsed(DayWindow.Ending(today, 28));
        return ("adoption_breadth", used * 100.0 / known.Count, AdoptionBreadthWeight, $"{used} of {known.Count} known modules used in the last 28 days");
    }

    private (string, double?, double, string) Support(IWorkspaceBaselines w, int today)
    {
        if (!w.HasSupportData) return ("support", null, SupportWeight, "no support events received");
        var escalations = w.SignalCount(w.Conventions.EscalationEvent, DayWindow.Ending(today, 28));
        var value = escalations switch { 0 => 100.0, 1 => 60.0, 2 => 30.0, _ => 0.0 };
        return ("support", value, SupportWeight, string.Create(CultureInfo.InvariantCulture, $"{escalations} escalations in the last 28 days"));
    }

    private (string, double?, double, string) Sentiment(IWorkspaceBaselines w)
    {
        if (w.LatestSurveyScore is not { } score) return ("sentiment", null, SentimentWeight, "no survey answer received");
        return ("sentiment", Math.Clamp(score, 0, 10) * 10, SentimentWeight, string.Create(CultureInfo.InvariantCulture, $"latest NPS answer {score:0.#} of 10"));
    }

    private (string, double?, double, string) Relationship(IWorkspaceBaselines w, int today)
    {
        if (!w.HasCrmData) return ("relationship", null, RelationshipWeight, "no CRM events received");
        var changes = w.SignalCount(w.Conventions.SponsorChangedEvent, DayWindow.Ending(today, 90));
        return ("relationship", changes > 0 ? 30 : 100, RelationshipWeight,
            changes > 0 ? "executive sponsor changed in the last 90 days" : "no sponsor change in the last 90 days");
    }
}
