using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Rules;

/// <summary>
/// A rule as RevOps declares it in the catalogue: what to watch (<see cref="Condition"/>), how long it
/// must hold before firing (<see cref="For"/>), how long a play stays open after the condition clears
/// (<see cref="KeepFiringFor"/>), and how long to wait before a new episode (<see cref="Cooldown"/>).
/// Durations are in event time; rules are evaluated once per UTC day (and continuously for today).
/// </summary>
public sealed record RuleDefinition
{
    public required string Id { get; init; }
    public required PlayKind Kind { get; init; }
    public required Severity Severity { get; init; }
    public required RuleCondition Condition { get; init; }

    /// <summary>Title with placeholders: {workspace}, {subject}, {value}, {baseline}, {limit}, {threshold}, {window}, {detail}.</summary>
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

    /// <summary>A shadow rule is evaluated like any other, but its plays are only visible with <c>shadow=true</c>, never delivered.</summary>
    public bool Shadow { get; init; }

    public bool AppliesTo(int? tier, string? segment) =>
        (Tiers.Count == 0 || (tier is { } t && Tiers.Contains(t))) &&
        (Segments.Count == 0 || (segment is not null && Segments.Contains(segment)));
}

/// <summary>The point in event time a rule is evaluated at: a UTC day, complete or still running.</summary>
/// <param name="At">End of <paramref name="Day"/> for a complete day; the current event time for today.</param>
/// <param name="IsComplete">False for the day still receiving events (provisional evaluation).</param>
/// <param name="HasData">The workspace sent events on that day.</param>
public readonly record struct EvaluationPoint(int Day, DateTimeOffset At, bool IsComplete, bool HasData);

/// <summary>
/// What a condition saw for one subject at one evaluation point. <see cref="Breached"/> starts (or keeps)
/// an episode; <see cref="Cleared"/> ends it; between the two (hysteresis) nothing changes. An observation
/// that is not <see cref="Known"/> (no data) changes nothing at all. A value, not an object: rules are
/// observed on every delivery; the evidence behind an observation is described only when it fires
/// (<see cref="RuleCondition.Describe"/>).
/// </summary>
public readonly record struct Observation(string? Subject, bool Breached, bool Cleared)
{
    public bool Known { get; init; } = true;

    public static Observation NoData(string? subject) => new(subject, false, false) { Known = false };
}

/// <summary>A rule's condition: reads the workspace's baselines and reports one observation per subject.</summary>
public abstract record RuleCondition
{
    /// <summary>Event names whose daily counts this condition reads; the workspace keeps counters for exactly these.</summary>
    public virtual IEnumerable<string> SignalEvents => [];

    /// <summary>
    /// Time-based conditions (silence, deadlines) can become true with no new event, so they are also
    /// evaluated on days without data and when the engine's clock passes <see cref="NextDue"/>.
    /// </summary>
    public virtual bool IsTimeBased => false;

    /// <summary>Adds one observation per subject to <paramref name="observations"/> (none when the condition does not apply).</summary>
    public abstract void Observe(IWorkspaceBaselines workspace, EvaluationPoint point, List<Observation> observations);

    /// <summary>
    /// What the observation of <paramref name="subject"/> at <paramref name="point"/> saw, for the play it fires.
    /// Called with the workspace as it was observed, so it reads the same figures.
    /// </summary>
    public abstract Evidence Describe(IWorkspaceBaselines workspace, EvaluationPoint point, string? subject);

    /// <summary>How many days before the evaluated day this condition reads: bounds how far back history can be re-evaluated exactly.</summary>
    public abstract int LookbackDays { get; }

    /// <summary>For time-based conditions: the earliest event time at which it could become true without new data.</summary>
    public virtual DateTimeOffset? NextDue(IWorkspaceBaselines workspace) => null;

    /// <summary>
    /// <see cref="Describe"/> found the workspace without what <see cref="Observe"/> needs to report a breach: the two
    /// have drifted apart. Failing beats a play that reads "0 of 0 seats".
    /// </summary>
    protected static InvalidOperationException Unobserved(string condition, string why) =>
        new($"{condition}.Describe called for a breach its Observe cannot have reported: {why}");
}
