namespace SignalEngine.Core.Rules;

public enum RulePhase : byte { Normal, Pending, Firing, Recovering }

/// <summary>
/// The state of one (workspace, rule, subject): its phase, since when (event time), the UTC day the
/// current or last episode started (its identity), and the end of a cooldown.
/// </summary>
public sealed record RuleState(RulePhase Phase, DateTimeOffset Since, int EpisodeStartDay, DateTimeOffset? CooldownUntil)
{
    public static readonly RuleState Initial = new(RulePhase.Normal, DateTimeOffset.MinValue, 0, null);

    public bool IsActive => Phase is RulePhase.Firing or RulePhase.Recovering;
}

public enum RuleTransition { None, Fire, Resolve }

/// <summary>
/// Normal → Pending (<c>for</c>) → Firing → Recovering (<c>keepFiringFor</c>) → Normal, then cooldown.
/// One play per episode: a condition that stays true, or wobbles inside the hysteresis band, does not
/// fire again; an observation without data changes nothing.
/// </summary>
public static class RuleStateMachine
{
    public static (RuleState State, RuleTransition Transition) Step(RuleState state, Observation? observation, RuleDefinition rule, EvaluationPoint point)
    {
        if (observation is { Known: false }) return (state, RuleTransition.None);
        var at = point.At;
        var breached = observation?.Breached ?? false;
        // No observation at all (the module lost its pilots, the rule stopped applying) ends an episode like a cleared condition.
        var cleared = observation?.Cleared ?? true;

        switch (state.Phase)
        {
            case RulePhase.Normal:
                if (!breached || (state.CooldownUntil is { } until && at < until)) return (state, RuleTransition.None);
                return rule.For <= TimeSpan.Zero
                    ? Fire(state, point)
                    : (state with { Phase = RulePhase.Pending, Since = at }, RuleTransition.None);

            case RulePhase.Pending:
                if (!breached) return (state with { Phase = RulePhase.Normal, Since = at }, RuleTransition.None);
                return at - state.Since >= rule.For ? Fire(state, point) : (state, RuleTransition.None);

            case RulePhase.Firing:
                if (!cleared) return (state, RuleTransition.None);
                return rule.KeepFiringFor <= TimeSpan.Zero
                    ? Resolve(state, rule, at)
                    : (state with { Phase = RulePhase.Recovering, Since = at }, RuleTransition.None);

            case RulePhase.Recovering:
                if (breached) return (state with { Phase = RulePhase.Firing, Since = at }, RuleTransition.None);
                return at - state.Since >= rule.KeepFiringFor ? Resolve(state, rule, at) : (state, RuleTransition.None);

            default:
                throw new InvalidOperationException($"unknown phase {state.Phase}");
        }
    }

    private static (RuleState, RuleTransition) Fire(RuleState state, EvaluationPoint point) =>
        (state with { Phase = RulePhase.Firing, Since = point.At, EpisodeStartDay = point.Day, CooldownUntil = null }, RuleTransition.Fire);

    private static (RuleState, RuleTransition) Resolve(RuleState state, RuleDefinition rule, DateTimeOffset at) =>
        (state with { Phase = RulePhase.Normal, Since = at, CooldownUntil = rule.Cooldown > TimeSpan.Zero ? at + rule.Cooldown : null }, RuleTransition.Resolve);
}
