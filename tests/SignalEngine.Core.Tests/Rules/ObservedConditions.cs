using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

/// <summary>An observation with the evidence its condition describes for it, as a firing play would carry.</summary>
internal sealed record ObservedCondition(Observation Observation, Evidence? Described)
{
    public string? Subject => Observation.Subject;
    public bool Breached => Observation.Breached;
    public bool Cleared => Observation.Cleared;
    public bool Known => Observation.Known;

    /// <summary>Only a known observation can fire a play, so only those are described.</summary>
    public Evidence Evidence => Described ?? throw new InvalidOperationException("an observation without data has no evidence");
}

internal static class ObservedConditions
{
    /// <summary>Observes, then describes each known observation at the same point, as the workspace does when one fires.</summary>
    public static IReadOnlyList<ObservedCondition> Observed(this RuleCondition condition, IWorkspaceBaselines workspace, EvaluationPoint point)
    {
        var observations = new List<Observation>();
        condition.Observe(workspace, point, observations);
        return [.. observations.Select(o => new ObservedCondition(o, o.Known ? condition.Describe(workspace, point, o.Subject) : null))];
    }
}
