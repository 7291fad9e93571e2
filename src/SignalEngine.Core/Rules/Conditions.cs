using System.Globalization;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Rules;

/// <summary>Usage metrics a window-based condition can read.</summary>
public enum UsageMetric { ActiveUsers, CoreEvents, CoreFeatures }

public enum ChangeDirection { Drop, Growth }

internal static class Windows
{
    public static string Days(int days) => days.ToString(CultureInfo.InvariantCulture) + "d";

    public static double Read(IWorkspaceBaselines w, UsageMetric metric, DayWindow window) => metric switch
    {
        UsageMetric.ActiveUsers => w.DistinctActiveUsers(window),
        UsageMetric.CoreEvents => w.CoreEventCount(window),
        _ => w.DistinctCoreFeatures(window),
    };

    public static string Name(UsageMetric metric) => metric switch
    {
        UsageMetric.ActiveUsers => "active_users",
        UsageMetric.CoreEvents => "core_events",
        _ => "core_features",
    };

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}

/// <summary>At least <see cref="MinCount"/> events named <see cref="EventName"/> in the last <see cref="WindowDays"/> days (a sponsor change, a limit hit, two escalations).</summary>
public sealed record SignalCountCondition(string EventName, int WindowDays, int MinCount) : RuleCondition
{
    public override int LookbackDays => WindowDays;

    public override IEnumerable<string> SignalEvents => [EventName];

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        // A silent workspace keeps its state: the window moving on without data is not a change.
        if (!point.HasData) { observations.Add(Observation.NoData(null)); return; }
        var count = Count(workspace, point);
        observations.Add(new Observation(null, count >= MinCount, count < MinCount));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject) =>
        new($"count({EventName})", Count(workspace, point), null, null, MinCount, Windows.Days(WindowDays), ">=");

    private long Count(IWorkspaceBaselines workspace, EvaluationPoint point) => workspace.SignalCount(EventName, DayWindow.Ending(point.Day, WindowDays));
}

/// <summary>
/// Distinct active users over <see cref="WindowDays"/> days as a percentage of seats purchased reaches
/// <see cref="ThresholdPercent"/>; the episode ends below <see cref="RecoveryPercent"/> (hysteresis).
/// </summary>
public sealed record SeatRatioCondition(int WindowDays, double ThresholdPercent, double? RecoveryPercent = null) : RuleCondition
{
    public override int LookbackDays => WindowDays;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        if (workspace.SeatsPurchased is not ({ } seats and > 0)) return;
        if (!point.HasData) { observations.Add(Observation.NoData(null)); return; }
        var users = Users(workspace, point);
        // Compare users × 100 with threshold × seats so 90 of 100 seats is exactly 90%, not 89.999...
        observations.Add(new Observation(null, users * 100.0 >= ThresholdPercent * seats, users * 100.0 < (RecoveryPercent ?? ThresholdPercent) * seats));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        // Only called for a breach Observe just reported, which it reports only with seats purchased.
        var seats = workspace.SeatsPurchased is { } purchased and > 0 ? purchased : throw Unobserved(nameof(SeatRatioCondition), "no seats purchased");
        var users = Users(workspace, point);
        var percent = Math.Round(users * 100.0 / seats, 2);
        return new Evidence("seat_utilisation_percent", percent, users, seats, ThresholdPercent, Windows.Days(WindowDays), ">=", $"{users} of {seats} seats active");
    }

    private int Users(IWorkspaceBaselines workspace, EvaluationPoint point) => workspace.DistinctActiveUsers(DayWindow.Ending(point.Day, WindowDays));
}

/// <summary>
/// For every module with pilot users: the share of them who used the module in the last
/// <see cref="WindowDays"/> days reaches <see cref="ThresholdPercent"/>. One subject per module.
/// </summary>
public sealed record CohortShareCondition(int WindowDays, double ThresholdPercent, double? RecoveryPercent = null) : RuleCondition
{
    public override int LookbackDays => WindowDays;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        var window = DayWindow.Ending(point.Day, WindowDays);
        foreach (var (module, cohort) in workspace.PilotCohorts)
        {
            if (!point.HasData) { observations.Add(Observation.NoData(module)); continue; }
            var adopted = workspace.DistinctModuleUsers(module, cohort, window);
            observations.Add(new Observation(module,
                adopted * 100.0 >= ThresholdPercent * cohort.Count,
                adopted * 100.0 < (RecoveryPercent ?? ThresholdPercent) * cohort.Count));
        }
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var cohort = workspace.PilotCohorts.FirstOrDefault(c => c.Module == subject)?.Users is { Count: > 0 } users
            ? users
            : throw Unobserved(nameof(CohortShareCondition), $"module '{subject}' has no pilot users");
        var adopted = workspace.DistinctModuleUsers(subject!, cohort, DayWindow.Ending(point.Day, WindowDays));
        var percent = Math.Round(adopted * 100.0 / cohort.Count, 2);
        return new Evidence($"pilot_adoption_percent({subject})", percent, adopted, cohort.Count, ThresholdPercent, Windows.Days(WindowDays), ">=",
            $"{adopted} of {cohort.Count} pilot users used {subject}");
    }
}

/// <summary>
/// A usage metric over the last <see cref="WindowDays"/> complete days against the window before:
/// fires when it dropped (or grew) by at least <see cref="ThresholdPercent"/> of the earlier window,
/// provided that window reached <see cref="MinimumBaseline"/>. Only complete days with data are
/// judged, so an unfinished day or a telemetry gap never reads as a drop.
/// </summary>
public sealed record ChangeCondition(UsageMetric Metric, int WindowDays, ChangeDirection Direction, double ThresholdPercent, double MinimumBaseline, double? RecoveryPercent = null)
    : RuleCondition
{
    /// <summary>The current window needs data on at least this share of the days the earlier one had data on.</summary>
    public const double MinimumDataDaysRatio = 0.8;

    public override int LookbackDays => 2 * WindowDays;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        if (!point.IsComplete || !point.HasData) { observations.Add(Observation.NoData(null)); return; }
        var current = DayWindow.Ending(point.Day, WindowDays);
        // A telemetry gap inside the window is missing data, not a drop: compare windows only when the
        // current one has data on (nearly) as many days as the earlier one. Weekends without events
        // are in both windows alike.
        if (DataDays(workspace, current) < MinimumDataDaysRatio * DataDays(workspace, current.Previous)) { observations.Add(Observation.NoData(null)); return; }
        var (now, before) = Read(workspace, current);
        if (IsThin(before)) { observations.Add(new Observation(null, false, true)); return; }
        var moved = Direction == ChangeDirection.Drop ? -Change(now, before) : Change(now, before);
        observations.Add(new Observation(null, moved >= ThresholdPercent, moved < (RecoveryPercent ?? ThresholdPercent)));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var (now, before) = Read(workspace, DayWindow.Ending(point.Day, WindowDays));
        var name = Windows.Name(Metric);
        if (IsThin(before)) return new Evidence(name, now, before, null, ThresholdPercent, Windows.Days(WindowDays), "baseline below minimum");
        var change = Change(now, before);
        return new Evidence(name, now, before, null, ThresholdPercent, Windows.Days(WindowDays),
            Direction == ChangeDirection.Drop ? "drop % >=" : "growth % >=",
            $"{Windows.Number(Math.Round(change, 1))}% ({Windows.Number(now)} in the last {WindowDays} days vs {Windows.Number(before)} in the {WindowDays} before)");
    }

    private (double Now, double Before) Read(IWorkspaceBaselines workspace, DayWindow current) =>
        (Windows.Read(workspace, Metric, current), Windows.Read(workspace, Metric, current.Previous));

    private bool IsThin(double before) => before < MinimumBaseline || before <= 0;

    private static double Change(double now, double before) => (now - before) / before * 100;

    private static int DataDays(IWorkspaceBaselines workspace, DayWindow window)
    {
        var days = 0;
        for (var day = window.FirstDay; day <= window.LastDay; day++)
            if (workspace.HasDataOn(day)) days++;
        return days;
    }
}

/// <summary>
/// Daily active users far below the workspace's own history for the same weekday: robust z-score
/// (median and MAD of up to <see cref="MaxWeeks"/> earlier same weekdays with data) at or below
/// <see cref="ZThreshold"/>. Complete days with data only.
/// </summary>
public sealed record AnomalyCondition(double ZThreshold, double RecoveryZ, int MinWeeks, int MaxWeeks) : RuleCondition
{
    public override int LookbackDays => 7 * MaxWeeks;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        if (!point.IsComplete || !point.HasData || Measure(workspace, point) is not { } m) { observations.Add(Observation.NoData(null)); return; }
        observations.Add(new Observation(null, m.Z <= ZThreshold, m.Z > RecoveryZ));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var m = Measure(workspace, point) ?? throw Unobserved(nameof(AnomalyCondition), "too few earlier weeks with data");
        return new Evidence("daily_active_users", m.Today, m.Median, null, ZThreshold, $"same weekday, {m.Weeks} weeks", "robust z <=",
            string.Create(CultureInfo.InvariantCulture, $"z = {m.Z:0.##} (median {m.Median:0.##}, scale {m.Scale:0.##})"));
    }

    /// <summary>Today's daily active users against the same weekday of earlier weeks with data; null with too few of them.</summary>
    private (double Today, double Z, double Median, double Scale, int Weeks)? Measure(IWorkspaceBaselines workspace, EvaluationPoint point)
    {
        var history = new List<double>(MaxWeeks);
        for (var week = 1; week <= MaxWeeks; week++)
        {
            var day = point.Day - 7 * week;
            if (workspace.HasDataOn(day)) history.Add(workspace.DailyActiveUsers(day));
        }
        if (history.Count < MinWeeks) return null;
        var today = workspace.DailyActiveUsers(point.Day);
        var z = RobustZ.Of(today, history, out var median, out var scale);
        return (today, z, median, scale, history.Count);
    }
}

/// <summary>Robust z-score: (x − median) / (1.4826 · MAD), falling back to the mean absolute deviation, then to 1, when the spread is zero.</summary>
public static class RobustZ
{
    public static double Of(double value, IReadOnlyList<double> history, out double median, out double scale)
    {
        median = Median(history);
        var m = median;
        var mad = Median(history.Select(h => Math.Abs(h - m)).ToList());
        scale = 1.4826 * mad;
        if (scale <= 0) scale = 1.2533 * history.Average(h => Math.Abs(h - m));
        if (scale <= 0) scale = 1;
        return (value - median) / scale;
    }

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>A previously active workspace with no user activity for <see cref="Days"/> days (silence).</summary>
public sealed record AbsenceCondition(int Days) : RuleCondition
{
    public override bool IsTimeBased => true;

    public override int LookbackDays => Days;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        // "Previously active": before its first user, a workspace is not silent, it has not started.
        if (workspace.FirstUserActivityDay is not { } first || point.Day < first) return;
        var (silentDays, _) = Silence(workspace, point);
        observations.Add(new Observation(null, silentDays >= Days, silentDays < Days));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var (silentDays, last) = Silence(workspace, point);
        return new Evidence("days_without_user_activity", silentDays, null, null, Days, Windows.Days(Days), ">=",
            last is { } d ? $"last user activity on {DateOnly.FromDateTime(EventDay.Start(d).UtcDateTime):yyyy-MM-dd}" : "no user activity in the kept history");
    }

    private (int SilentDays, int? LastActive) Silence(IWorkspaceBaselines workspace, EvaluationPoint point)
    {
        var last = workspace.LastUserActivityOnOrBefore(point.Day);
        return (last is { } l ? point.Day - l : Days + ActivityBitmap.Span, last);
    }

    public override DateTimeOffset? NextDue(IWorkspaceBaselines workspace) =>
        workspace.LastUserActivityOnOrBefore(int.MaxValue) is { } last ? EventDay.Start(last + Days) : null;
}

/// <summary>
/// A milestone (the catalogue's activation event) not reached <see cref="Days"/> days after the workspace
/// was created. Only judged while the workspace is younger than <see cref="RelevantForDays"/>, so an old
/// customer adopting the engine is not flagged for an onboarding long past.
/// </summary>
public sealed record DeadlineCondition(int Days, int RelevantForDays) : RuleCondition
{
    public override bool IsTimeBased => true;

    public override int LookbackDays => 0;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        if (workspace.CreatedAt is not { } created) return;
        var reached = Reached(workspace, point);
        var age = (point.At - created).TotalDays;
        if (!reached && age > RelevantForDays) { observations.Add(Observation.NoData(null)); return; }
        observations.Add(new Observation(null, !reached && age >= Days, reached));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var created = workspace.CreatedAt ?? point.At;
        return new Evidence("workspace_age_days", Math.Floor((point.At - created).TotalDays), null, null, Days, Windows.Days(Days), ">= without activation",
            Reached(workspace, point) ? "activation milestone reached" : $"created {created:yyyy-MM-dd}, activation milestone not reached");
    }

    private static bool Reached(IWorkspaceBaselines workspace, EvaluationPoint point) => workspace.ActivatedAt is { } activated && activated <= point.At;

    /// <summary>The deadline, while it can still matter: not activated, and not past the onboarding period.</summary>
    public override DateTimeOffset? NextDue(IWorkspaceBaselines workspace) =>
        workspace.CreatedAt is { } created && workspace.ActivatedAt is null ? created.AddDays(Days) : null;
}

/// <summary>
/// Distinct core features used in <see cref="WindowDays"/> days below <see cref="RatioPercent"/>% of the
/// segment's median, once the segment has at least <see cref="MinimumPeers"/> workspaces.
/// </summary>
public sealed record BelowPeersCondition(int WindowDays, double RatioPercent, int MinimumPeers, double? RecoveryPercent = null) : RuleCondition
{
    public override int LookbackDays => WindowDays;

    public override void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations)
    {
        if (workspace.Peers is not { } peers || peers.Workspaces < MinimumPeers || peers.Median <= 0) return;
        if (!point.HasData) { observations.Add(Observation.NoData(null)); return; }
        var mine = Mine(workspace, point);
        observations.Add(new Observation(null, mine * 100.0 < RatioPercent * peers.Median, mine * 100.0 >= (RecoveryPercent ?? RatioPercent) * peers.Median));
    }

    public override Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject)
    {
        var peers = workspace.Peers ?? throw Unobserved(nameof(BelowPeersCondition), "no segment baseline");
        var mine = Mine(workspace, point);
        return new Evidence("core_features_used", mine, peers.Median, null, RatioPercent, Windows.Days(WindowDays), "% of segment median <",
            $"{mine} distinct core features vs segment median {Windows.Number(peers.Median)} over {peers.Workspaces} workspaces");
    }

    private int Mine(IWorkspaceBaselines workspace, EvaluationPoint point) => workspace.DistinctCoreFeatures(DayWindow.Ending(point.Day, WindowDays));
}
