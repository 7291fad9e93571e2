namespace SignalEngine.Core.Plays;

/// <summary>A filter over plays, as the query API and the live feed take it. Null parts match everything.</summary>
public sealed record PlayQuery
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public string? WorkspaceId { get; init; }
    public string? RuleId { get; init; }
    public PlayKind? Kind { get; init; }

    /// <summary>Only plays fired at or after this processing time.</summary>
    public DateTimeOffset? Since { get; init; }
    public int Limit { get; init; } = DefaultLimit;

    /// <summary>False: plays of live rules only; true: plays of shadow rules only.</summary>
    public bool Shadow { get; init; }

    public string? Pod { get; init; }

    /// <summary>The owner's name (a CSM, an account manager, or "digital").</summary>
    public string? Owner { get; init; }

    public bool Matches(Play play) =>
        play.Shadow == Shadow &&
        (Pod is null || play.Pod == Pod) &&
        (Owner is null || play.Owner.Name == Owner) &&
        (WorkspaceId is null || play.WorkspaceId == WorkspaceId) &&
        (RuleId is null || play.RuleId == RuleId) &&
        (Kind is null || play.Kind == Kind) &&
        (Since is null || play.FiredAt >= Since);
}
