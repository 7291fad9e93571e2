using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Rules;

/// <summary>The median of a segment's workspaces for the peer comparison, and how many workspaces it is taken over.</summary>
public readonly record struct PeerBaseline(double Median, int Workspaces);

/// <summary>A module's pilot users, as the adoption rule reads them.</summary>
public sealed record PilotCohort(string Module, IReadOnlyList<string> Users)
{
    /// <summary>
    /// The cohorts of a profile's pilot map: ordered by module (so plays come out in a stable order), each
    /// user once, modules without users left out. Computed once per profile, not per evaluation.
    /// </summary>
    public static IReadOnlyList<PilotCohort> Of(IReadOnlyDictionary<string, IReadOnlyList<string>> pilots) =>
        pilots.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new PilotCohort(p.Key, p.Value.Distinct(StringComparer.Ordinal).ToArray()))
            .Where(c => c.Users.Count > 0)
            .ToArray();
}

/// <summary>The read side of a workspace that rule conditions and the health score are computed from.</summary>
public interface IWorkspaceBaselines
{
    /// <summary>The newest UTC day with an event: "today" in event time.</summary>
    int WatermarkDay { get; }

    int? SeatsPurchased { get; }

    DateTimeOffset? CreatedAt { get; }

    /// <summary>Event time of the activation milestone, if reached.</summary>
    DateTimeOffset? ActivatedAt { get; }

    /// <summary>The profile's pilot users per module, ordered by module, each user once; modules without pilots left out.</summary>
    IReadOnlyList<PilotCohort> PilotCohorts { get; }

    /// <summary>The segment median of distinct core features used over 28 days, as last reported by the peers.</summary>
    PeerBaseline? Peers { get; }

    /// <summary>True if the workspace sent any event on that day: a day without events is "no data", not zero usage.</summary>
    bool HasDataOn(int day);

    /// <summary>The newest day on or before <paramref name="day"/> with any user activity, within the kept history.</summary>
    int? LastUserActivityOnOrBefore(int day);

    /// <summary>True if any user was ever active, even before the kept history.</summary>
    bool EverActive { get; }

    /// <summary>The first UTC day any user was active (kept even when the ring forgot it).</summary>
    int? FirstUserActivityDay { get; }

    int DistinctActiveUsers(DayWindow window);

    int DailyActiveUsers(int day);

    long SignalCount(string eventName, DayWindow window);

    long CoreEventCount(DayWindow window);

    int DistinctCoreFeatures(DayWindow window);

    int DistinctModuleUsers(string module, IReadOnlyList<string> userIds, DayWindow window);

    /// <summary>Modules piloted or seen in events.</summary>
    IReadOnlySet<string> KnownModules { get; }

    int ModulesUsed(DayWindow window);

    /// <summary>The latest survey score received for a moment before the end of <paramref name="day"/>.</summary>
    double? SurveyScoreAsOf(int day);

    bool HasSupportData { get; }

    bool HasCrmData { get; }

    EventConventions Conventions { get; }
}
