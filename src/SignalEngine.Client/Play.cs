using System.Text.Json.Serialization;

namespace SignalEngine.Client;

/// <summary>What a play asks people to act on. <see cref="Unknown"/> is a value this client version does not know.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<PlayKind>))]
public enum PlayKind
{
    /// <summary>A value newer than this client.</summary>
    Unknown,
    /// <summary><c>churn_risk</c></summary>
    ChurnRisk,
    /// <summary><c>expansion</c></summary>
    Expansion,
    /// <summary><c>onboarding</c></summary>
    Onboarding,
    /// <summary><c>adoption</c></summary>
    Adoption,
}

/// <summary>How urgent a play is.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<Severity>))]
public enum Severity
{
    /// <summary>A value newer than this client.</summary>
    Unknown,
    /// <summary><c>low</c></summary>
    Low,
    /// <summary><c>medium</c></summary>
    Medium,
    /// <summary><c>high</c></summary>
    High,
    /// <summary><c>critical</c></summary>
    Critical,
}

/// <summary>Who acts on a play.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<OwnerRole>))]
public enum OwnerRole
{
    /// <summary>A value newer than this client.</summary>
    Unknown,
    /// <summary><c>csm</c>: the customer success manager.</summary>
    Csm,
    /// <summary><c>account_manager</c></summary>
    AccountManager,
    /// <summary><c>digital</c>: the digital channel (tier 3).</summary>
    Digital,
}

/// <summary>Where a play is in its life.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<PlayStatus>))]
public enum PlayStatus
{
    /// <summary>A value newer than this client.</summary>
    Unknown,
    /// <summary><c>open</c>: the condition holds.</summary>
    Open,
    /// <summary><c>resolved</c>: the condition cleared.</summary>
    Resolved,
    /// <summary><c>retracted</c>: late data showed the episode never happened.</summary>
    Retracted,
}

/// <summary>Band of a health score.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<HealthStatus>))]
public enum HealthStatus
{
    /// <summary><c>unknown</c>: no input yet (or a value newer than this client).</summary>
    Unknown,
    /// <summary><c>green</c>: 70 or more.</summary>
    Green,
    /// <summary><c>yellow</c>: 40 to 69.</summary>
    Yellow,
    /// <summary><c>red</c>: below 40.</summary>
    Red,
}

/// <summary>A play's owner: the role, and the person's name when the workspace profile has one.</summary>
public sealed record PlayOwner
{
    /// <summary>The role that acts on the play.</summary>
    public OwnerRole Role { get; init; }

    /// <summary>The person (from the CRM profile), or <c>digital</c>.</summary>
    public string? Name { get; init; }
}

/// <summary>Why a play fired: the metric, its value and what it was compared with over which window.</summary>
public sealed record PlayEvidence
{
    /// <summary>The metric, e.g. <c>seat_utilisation_percent</c>.</summary>
    public string Metric { get; init; } = "";

    /// <summary>Its current value.</summary>
    public double Value { get; init; }

    /// <summary>What the value was computed from (e.g. active users).</summary>
    public double? Baseline { get; init; }

    /// <summary>What it is compared with (e.g. seats).</summary>
    public double? Limit { get; init; }

    /// <summary>The rule's threshold.</summary>
    public double Threshold { get; init; }

    /// <summary>The window, e.g. <c>28d</c>.</summary>
    public string Window { get; init; } = "";

    /// <summary>The comparison, e.g. <c>&gt;=</c>.</summary>
    public string Comparison { get; init; } = "";

    /// <summary>A human-readable detail.</summary>
    public string? Detail { get; init; }
}

/// <summary>The workspace's health when the play fired.</summary>
public sealed record PlayHealth
{
    /// <summary>0–100, or null without input.</summary>
    public int? Score { get; init; }

    /// <summary>The score's band.</summary>
    public HealthStatus Status { get; init; }
}

/// <summary>
/// A play, as <c>GET /v1/plays</c> and the live feed carry it: one episode of one rule on one workspace.
/// <see cref="PlayId"/> is stable across retries, replays and restarts.
/// </summary>
public sealed record Play
{
    /// <summary>Derived from (workspace, rule, subject, episode start): de-duplicate on it.</summary>
    public string PlayId { get; init; } = "";

    /// <summary>The workspace.</summary>
    public string WorkspaceId { get; init; } = "";

    /// <summary>The rule that fired, e.g. <c>expansion.seat_pressure</c>.</summary>
    public string RuleId { get; init; } = "";

    /// <summary>What inside the workspace it is about (e.g. a module), or null.</summary>
    public string? Subject { get; init; }

    /// <summary>The UTC day (event time) the episode started.</summary>
    public DateOnly EpisodeStart { get; init; }

    /// <summary>The kind of play.</summary>
    public PlayKind Kind { get; init; }

    /// <summary>How urgent it is.</summary>
    public Severity Severity { get; init; }

    /// <summary>A one-line summary.</summary>
    public string Title { get; init; } = "";

    /// <summary>Processing time at which the engine fired it.</summary>
    public DateTimeOffset FiredAt { get; init; }

    /// <summary>Event time at which the threshold crossed.</summary>
    public DateTimeOffset EventTime { get; init; }

    /// <summary>Who acts on it.</summary>
    public PlayOwner Owner { get; init; } = new();

    /// <summary>The workspace's tier (1 high-touch, 2 mixed, 3 digital), when known.</summary>
    public int? Tier { get; init; }

    /// <summary>The workspace's pod.</summary>
    public string? Pod { get; init; }

    /// <summary>The workspace's segment.</summary>
    public string? Segment { get; init; }

    /// <summary>Why it fired.</summary>
    public PlayEvidence Evidence { get; init; } = new();

    /// <summary>The workspace's health when it fired.</summary>
    public PlayHealth Health { get; init; } = new();

    /// <summary>Open, resolved or retracted.</summary>
    public PlayStatus Status { get; init; }

    /// <summary>Processing time of the resolution.</summary>
    public DateTimeOffset? ResolvedAt { get; init; }

    /// <summary>Event time of the resolution.</summary>
    public DateTimeOffset? ResolvedEventTime { get; init; }

    /// <summary>Fired by a shadow rule (never on the live feed).</summary>
    public bool Shadow { get; init; }
}

/// <summary>What happened to a play, as the feed's event type says.</summary>
public enum PlayEventType
{
    /// <summary><c>event: play</c>: the play fired.</summary>
    Fired,
    /// <summary><c>event: play_resolved</c>: its condition cleared.</summary>
    Resolved,
    /// <summary><c>event: play_retracted</c>: late data showed it never held.</summary>
    Retracted,
}

/// <summary>One change on the live play feed.</summary>
/// <param name="Type">Fired, resolved or retracted.</param>
/// <param name="EventId">The feed's event id (the play id, plus <c>.resolved</c> or <c>.retracted</c>); unique per change.</param>
/// <param name="Play">The play in its new status.</param>
public sealed record PlayNotification(PlayEventType Type, string EventId, Play Play);

/// <summary>Which plays a subscription receives; null parts match everything.</summary>
public sealed record PlayFilter
{
    /// <summary>Every play.</summary>
    public static PlayFilter All { get; } = new();

    /// <summary>Only this workspace's plays.</summary>
    public string? WorkspaceId { get; init; }

    /// <summary>Only this rule's plays, e.g. <c>churn.silence</c>.</summary>
    public string? RuleId { get; init; }

    /// <summary>Only plays of this kind.</summary>
    public PlayKind? Kind { get; init; }

    internal string QueryString()
    {
        var parts = new List<string>(3);
        if (WorkspaceId is not null) parts.Add("workspaceId=" + Uri.EscapeDataString(WorkspaceId));
        if (RuleId is not null) parts.Add("ruleId=" + Uri.EscapeDataString(RuleId));
        if (Kind is { } kind)
        {
            if (kind == PlayKind.Unknown) throw new ArgumentException("PlayKind.Unknown cannot be used as a filter", nameof(Kind));
            parts.Add("kind=" + SnakeCaseEnumConverter<PlayKind>.Name(kind));
        }
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}
