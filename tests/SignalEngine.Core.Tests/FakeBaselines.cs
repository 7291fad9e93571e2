using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests;

/// <summary>
/// An <see cref="IWorkspaceBaselines"/> whose figures are set directly, to test conditions and the health model in isolation.
/// Windowed figures are keyed by window; the usual ones have shorthands relative to <see cref="WatermarkDay"/>.
/// Asking for a window nobody set is a mistake in the test and throws.
/// </summary>
internal sealed class FakeBaselines : IWorkspaceBaselines
{
    public int WatermarkDay { get; set; } = 20_000;
    public int? SeatsPurchased { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public PeerBaseline? Peers { get; set; }
    public bool EverActive { get; set; }
    public int? FirstUserActivityDay { get; set; }
    public Dictionary<string, IReadOnlyList<string>> PilotMap { get; } = new(StringComparer.Ordinal);
    public IReadOnlyList<PilotCohort> PilotCohorts => PilotCohort.Of(PilotMap);

    /// <summary>Active users in the 14 days up to the watermark / the 14 before / the 28 up to the watermark.</summary>
    public int ActiveLast14 { get; set; }
    public int ActivePrior14 { get; set; }
    public int ActiveLast28 { get; set; }

    /// <summary>Figures for any other window.</summary>
    public Dictionary<DayWindow, int> ActiveUsersIn { get; } = [];
    public Dictionary<DayWindow, long> CoreEventsIn { get; } = [];
    public Dictionary<DayWindow, int> CoreFeaturesIn { get; } = [];

    /// <summary>Distinct core features over the 28 days up to the watermark.</summary>
    public int CoreFeaturesLast28 { get; set; }

    /// <summary>Daily active users per day; a day not listed had none.</summary>
    public Dictionary<int, int> DailyActive { get; } = [];

    /// <summary>Days with any event; null means every day has data.</summary>
    public HashSet<int>? DataDays { get; set; }

    /// <summary>Days with user activity.</summary>
    public SortedSet<int> UserActivityDays { get; } = [];

    /// <summary>Survey answers by the day they were given; <see cref="SurveyScore"/> is an answer given long ago.</summary>
    public SortedDictionary<int, double> SurveysByDay { get; } = [];
    public double? SurveyScore { get; set; }

    public Dictionary<string, long> SignalCounts { get; } = new(StringComparer.Ordinal);

    /// <summary>Signal counts for particular windows; other windows fall back to <see cref="SignalCounts"/>.</summary>
    public Dictionary<(string EventName, DayWindow Window), long> SignalCountsIn { get; } = [];
    public Dictionary<string, HashSet<string>> ModuleUsers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Modules { get; } = new(StringComparer.Ordinal);
    public int UsedModules { get; set; }
    public bool HasSupportData { get; set; }
    public bool HasCrmData { get; set; }
    public EventConventions Conventions { get; set; } = new();
    public IReadOnlySet<string> KnownModules => Modules;

    public bool HasDataOn(int day) => DataDays?.Contains(day) ?? true;

    public int? LastUserActivityOnOrBefore(int day)
    {
        var view = UserActivityDays.GetViewBetween(int.MinValue, day);
        return view.Count == 0 ? null : view.Max;
    }

    public int DistinctActiveUsers(DayWindow window)
    {
        if (ActiveUsersIn.TryGetValue(window, out var users)) return users;
        if (window == DayWindow.Ending(WatermarkDay, 14)) return ActiveLast14;
        if (window == DayWindow.Ending(WatermarkDay, 14).Previous) return ActivePrior14;
        if (window == DayWindow.Ending(WatermarkDay, 28)) return ActiveLast28;
        throw new InvalidOperationException($"unexpected window {window.FirstDay}..{window.LastDay} for active users");
    }

    public int DailyActiveUsers(int day) => DailyActive.GetValueOrDefault(day);

    public long SignalCount(string eventName, DayWindow window) =>
        SignalCountsIn.TryGetValue((eventName, window), out var count) ? count : SignalCounts.GetValueOrDefault(eventName);

    public long CoreEventCount(DayWindow window) =>
        CoreEventsIn.TryGetValue(window, out var count) ? count : throw new InvalidOperationException($"unexpected window {window.FirstDay}..{window.LastDay} for core events");

    public int DistinctCoreFeatures(DayWindow window)
    {
        if (CoreFeaturesIn.TryGetValue(window, out var features)) return features;
        if (window == DayWindow.Ending(WatermarkDay, 28)) return CoreFeaturesLast28;
        throw new InvalidOperationException($"unexpected window {window.FirstDay}..{window.LastDay} for core features");
    }

    public int DistinctModuleUsers(string module, IReadOnlyList<string> userIds, DayWindow window) =>
        ModuleUsers.TryGetValue(module, out var users) ? userIds.Count(users.Contains) : 0;

    public int ModulesUsed(DayWindow window) => UsedModules;

    public double? SurveyScoreAsOf(int day)
    {
        var answered = SurveysByDay.Where(s => s.Key <= day).Select(s => (double?)s.Value).LastOrDefault();
        return answered ?? SurveyScore;
    }

    /// <summary>The evaluation point at the end of the watermark day (complete, with data).</summary>
    public EvaluationPoint Point(bool complete = true, bool hasData = true) => PointOn(WatermarkDay, complete, hasData);

    public static EvaluationPoint PointOn(int day, bool complete = true, bool hasData = true) =>
        new(day, complete ? EventDay.Start(day + 1) : EventDay.Start(day).AddHours(12), complete, hasData);
}
