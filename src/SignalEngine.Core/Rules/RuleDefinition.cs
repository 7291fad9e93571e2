using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Rules;

/// <summary>
/// A rule as RevOps declares it: what to watch (<see cref="Condition"/>), how long it must hold
/// before firing (<see cref="For"/>), how long a play stays open after the condition clears
/// (<see cref="KeepFiringFor"/>), and how long to wait before a new episode (<see cref="Cooldown"/>).
/// All durations are in event time.
/// </summary>
public sealed record RuleDefinition
{
    public required string Id { get; init; }
    public required PlayKind Kind { get; init; }
    public required Severity Severity { get; init; }
    public required RuleCondition Condition { get; init; }

    /// <summary>Title with placeholders: {workspace}, {subject}, {value}, {threshold}, {limit}, {baseline}, {window}.</summary>
    public required string Title { get; init; }
    public TimeSpan For { get; init; } = TimeSpan.Zero;
    public TimeSpan KeepFiringFor { get; init; } = TimeSpan.Zero;
    public TimeSpan Cooldown { get; init; } = TimeSpan.Zero;

    /// <summary>Overrides the role routing by kind would pick (tier 3 still goes to the digital channel).</summary>
    public OwnerRole? OwnerRole { get; init; }

    /// <summary>Tiers the rule applies to; empty means all.</summary>
    public IReadOnlySet<int> Tiers { get; init; } = new HashSet<int>();

    /// <summary>Segments the rule applies to; empty means all.</summary>
    public IReadOnlySet<string> Segments { get; init; } = new HashSet<string>();

    public bool AppliesTo(int? tier, string? segment) =>
        (Tiers.Count == 0 || (tier is { } t && Tiers.Contains(t))) &&
        (Segments.Count == 0 || (segment is not null && Segments.Contains(segment)));
}

/// <summary>
/// What a condition saw for one subject at one evaluation. <see cref="Breached"/> starts (or keeps)
/// an episode; <see cref="Cleared"/> ends it. Between the two (hysteresis) the state stays as it is.
/// </summary>
public sealed record Observation(string? Subject, bool Breached, bool Cleared, Evidence Evidence);

/// <summary>A rule's condition: reads the workspace's baselines and reports one observation per subject.</summary>
public abstract record RuleCondition
{
    /// <summary>Event names whose daily counts this condition reads; the workspace keeps counters for exactly these.</summary>
    public virtual IEnumerable<string> SignalEvents => [];

    public abstract IEnumerable<Observation> Observe(IWorkspaceBaselines workspace);
}
