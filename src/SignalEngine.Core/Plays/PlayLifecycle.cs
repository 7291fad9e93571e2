namespace SignalEngine.Core.Plays;

/// <summary>Where a person has taken a play: not yet looked at, acknowledged, snoozed, or closed with an outcome.</summary>
public enum LifecycleState { New, Acknowledged, Snoozed, Closed }

/// <summary>One action a person took on a play, kept in its history.</summary>
public sealed record PlayAction(string Action, string Actor, DateTimeOffset At, string? Outcome = null, string? Note = null, DateTimeOffset? SnoozedUntil = null)
{
    public const string Acknowledge = "acknowledge", Snooze = "snooze", Resolve = "resolve";

    /// <summary>What a play led to, for attributing revenue to plays later.</summary>
    public static IReadOnlySet<string> Outcomes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "expanded", "renewed", "saved", "contracted", "churned", "no_action",
    };

    /// <summary>Every problem with the action, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate(DateTimeOffset now)
    {
        var errors = new List<string>();
        if (Action is not (Acknowledge or Snooze or Resolve)) errors.Add($"action: '{Action}' is not acknowledge, snooze or resolve");
        if (string.IsNullOrWhiteSpace(Actor)) errors.Add("actor: required (who acted, e.g. an email address)");
        else if (Actor.Length > 200) errors.Add("actor: longer than 200 characters");
        if (Outcome is not null && !Outcomes.Contains(Outcome)) errors.Add($"outcome: '{Outcome}' is not one of {string.Join(", ", Outcomes.Order(StringComparer.Ordinal))}");
        if (Note is { Length: > 2000 }) errors.Add("note: longer than 2000 characters");
        if (Action == Snooze && (SnoozedUntil is not { } until || until <= now)) errors.Add("until: a snooze needs an RFC 3339 time in the future");
        return errors;
    }
}

/// <summary>A play's human side: its state and the full history of actions, oldest first.</summary>
public sealed record PlayLifecycle(LifecycleState State, DateTimeOffset? SnoozedUntil, string? Outcome, IReadOnlyList<PlayAction> History)
{
    public static PlayLifecycle Initial { get; } = new(LifecycleState.New, null, null, []);

    // Value equality over the history too, so a play read back from storage equals the one written.
    public bool Equals(PlayLifecycle? other) =>
        other is not null && State == other.State && SnoozedUntil == other.SnoozedUntil && Outcome == other.Outcome && History.SequenceEqual(other.History);

    public override int GetHashCode() => HashCode.Combine(State, SnoozedUntil, Outcome, History.Count);

    public PlayLifecycle With(PlayAction action) => action.Action switch
    {
        PlayAction.Acknowledge => this with { State = State == LifecycleState.Closed ? State : LifecycleState.Acknowledged, SnoozedUntil = null, History = [.. History, action] },
        PlayAction.Snooze => this with { State = LifecycleState.Snoozed, SnoozedUntil = action.SnoozedUntil, History = [.. History, action] },
        _ => this with { State = LifecycleState.Closed, SnoozedUntil = null, Outcome = action.Outcome ?? Outcome, History = [.. History, action] },
    };
}
