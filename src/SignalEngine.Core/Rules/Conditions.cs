using System.Globalization;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Rules;

/// <summary>At least <see cref="MinCount"/> events named <see cref="EventName"/> in the last <see cref="WindowDays"/> days (e.g. a sponsor change, a limit hit, two escalations).</summary>
public sealed record SignalCountCondition(string EventName, int WindowDays, int MinCount) : RuleCondition
{
    public override IEnumerable<string> SignalEvents => [EventName];

    public override IEnumerable<Observation> Observe(IWorkspaceBaselines workspace)
    {
        var count = workspace.SignalCount(EventName, DayWindow.Ending(workspace.WatermarkDay, WindowDays));
        var evidence = new Evidence($"count({EventName})", count, null, null, MinCount, Days(WindowDays), ">=");
        yield return new Observation(null, count >= MinCount, count < MinCount, evidence);
    }

    internal static string Days(int days) => days.ToString(CultureInfo.InvariantCulture) + "d";
}

/// <summary>
/// Distinct active users over <see cref="WindowDays"/> days as a percentage of seats purchased reaches
/// <see cref="ThresholdPercent"/>; the episode ends below <see cref="RecoveryPercent"/> (hysteresis).
/// </summary>
public sealed record SeatRatioCondition(int WindowDays, double ThresholdPercent, double? RecoveryPercent = null) : RuleCondition
{
    public override IEnumerable<Observation> Observe(IWorkspaceBaselines workspace)
    {
        if (workspace.SeatsPurchased is not ({ } seats and > 0)) yield break;
        var users = workspace.DistinctActiveUsers(DayWindow.Ending(workspace.WatermarkDay, WindowDays));
        // Compare in integers scaled by 100 so 90 of 100 seats is exactly 90%, not 89.999...
        var breached = users * 100.0 >= ThresholdPercent * seats;
        var cleared = users * 100.0 < (RecoveryPercent ?? ThresholdPercent) * seats;
        var percent = Math.Round(users * 100.0 / seats, 2);
        var evidence = new Evidence("seat_utilisation_percent", percent, users, seats, ThresholdPercent, SignalCountCondition.Days(WindowDays), ">=");
        yield return new Observation(null, breached, cleared, evidence);
    }
}

/// <summary>
/// For every module with pilot users: the share of them who used the module in the last
/// <see cref="WindowDays"/> days reaches <see cref="ThresholdPercent"/>. One subject per module.
/// </summary>
public sealed record CohortShareCondition(int WindowDays, double ThresholdPercent, double? RecoveryPercent = null) : RuleCondition
{
    public override IEnumerable<Observation> Observe(IWorkspaceBaselines workspace)
    {
        var window = DayWindow.Ending(workspace.WatermarkDay, WindowDays);
        foreach (var (module, pilots) in workspace.Pilots.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var cohort = pilots.Distinct(StringComparer.Ordinal).ToList();
            if (cohort.Count == 0) continue;
            var adopted = workspace.DistinctModuleUsers(module, cohort, window);
            var breached = adopted * 100.0 >= ThresholdPercent * cohort.Count;
            var cleared = adopted * 100.0 < (RecoveryPercent ?? ThresholdPercent) * cohort.Count;
            var percent = Math.Round(adopted * 100.0 / cohort.Count, 2);
            var evidence = new Evidence($"pilot_adoption_percent({module})", percent, adopted, cohort.Count, ThresholdPercent, SignalCountCondition.Days(WindowDays), ">=");
            yield return new Observation(module, breached, cleared, evidence);
        }
    }
}
