using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Rules;

/// <summary>The read side of a workspace that rule conditions and the health score are computed from.</summary>
public interface IWorkspaceBaselines
{
    /// <summary>The newest UTC day with an event: "today" in event time.</summary>
    int WatermarkDay { get; }

    int? SeatsPurchased { get; }

    IReadOnlyDictionary<string, IReadOnlyList<string>> Pilots { get; }

    int DistinctActiveUsers(DayWindow window);

    long SignalCount(string eventName, DayWindow window);

    long CoreEventCount(DayWindow window);

    int DistinctModuleUsers(string module, IEnumerable<string> userIds, DayWindow window);

    /// <summary>Modules piloted or seen in events.</summary>
    IReadOnlySet<string> KnownModules { get; }

    int ModulesUsed(DayWindow window);

    double? LatestSurveyScore { get; }

    bool HasSupportData { get; }

    bool HasCrmData { get; }

    EventConventions Conventions { get; }
}
