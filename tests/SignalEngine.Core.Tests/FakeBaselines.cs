using SignalEngine.Core.Activity;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests;

/// <summary>An <see cref="IWorkspaceBaselines"/> whose figures are set directly, to test conditions and the health model in isolation.</summary>
internal sealed class FakeBaselines : IWorkspaceBaselines
{
    public int WatermarkDay { get; set; } = 20_000;
    public int? SeatsPurchased { get; set; }
    public Dictionary<string, IReadOnlyList<string>> PilotMap { get; } = new(StringComparer.Ordinal);
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Pilots => PilotMap;

    /// <summary>Active users in the 14 days up to the watermark / the 14 before / the 28 up to the watermark.</summary>
    public int ActiveLast14 { get; set; }
    public int ActivePrior14 { get; set; }
    public int ActiveLast28 { get; set; }

    public Dictionary<string, long> SignalCounts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, HashSet<string>> ModuleUsers { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Modules { get; } = new(StringComparer.Ordinal);
    public int UsedModules { get; set; }
    public double? LatestSurveyScore { get; set; }
    public bool HasSupportData { get; set; }
    public bool HasCrmData { get; set; }
    public EventConventions Conventions { get; } = new();
    public IReadOnlySet<string> KnownModules => Modules;

    public int DistinctActiveUsers(DayWindow window)
    {
        if (window == DayWindow.Ending(WatermarkDay, 14)) return ActiveLast14;
        if (window == DayWindow.Ending(WatermarkDay, 14).Previous) return ActivePrior14;
        if (window == DayWindow.Ending(WatermarkDay, 28)) return ActiveLast28;
        throw new InvalidOperationException($"unexpected window {window}");
    }

    public long SignalCount(string eventName, DayWindow window) => SignalCounts.GetValueOrDefault(eventName);

    public long CoreEventCount(DayWindow window) => 0;

    public int DistinctModuleUsers(string module, IEnumerable<string> userIds, DayWindow window) =>
        ModuleUsers.TryGetValue(module, out var users) ? userIds.Count(users.Contains) : 0;

    public int ModulesUsed(DayWindow window) => UsedModules;
}
