using System.IO.Hashing;
using System.Text;

namespace SignalEngine.Core.Plays;

/// <summary>What a play asks people to do something about.</summary>
public enum PlayKind { ChurnRisk, Expansion, Onboarding, Adoption }

public enum Severity { Low, Medium, High, Critical }

/// <summary>Who acts on a play: the CSM (risk, adoption, onboarding), the account manager (commercial expansion), or the digital channel for tier 3.</summary>
public enum OwnerRole { Csm, AccountManager, Digital }

/// <summary>Open while the condition holds; resolved when it clears; retracted when late data showed it never held.</summary>
public enum PlayStatus { Open, Resolved, Retracted }

public sealed record PlayOwner(OwnerRole Role, string? Name);

/// <summary>Why a play fired: the metric, its value, what it was compared with, and over which window.</summary>
public sealed record Evidence(
    string Metric,
    double Value,
    double? Baseline,
    double? Limit,
    double Threshold,
    string Window,
    string Comparison,
    string? Detail = null);

public sealed record HealthAtFiring(int? Score, string Status);

/// <summary>
/// A play: one episode of one rule on one workspace. An episode is identified by the UTC day it
/// started, and <see cref="PlayId"/> is derived from (workspace, rule, subject, episode start), so a
/// retry, a replay in any order or a failover yields the same id.
/// </summary>
public sealed record Play
{
    public required string PlayId { get; init; }
    public required string WorkspaceId { get; init; }
    public required string RuleId { get; init; }

    /// <summary>What within the workspace the rule is about, e.g. the module name; null for workspace-wide rules.</summary>
    public string? Subject { get; init; }
    /// <summary>The UTC day the episode started (in event time).</summary>
    public required DateOnly EpisodeStart { get; init; }
    public required PlayKind Kind { get; init; }
    public required Severity Severity { get; init; }
    public required string Title { get; init; }

    /// <summary>Processing time at which the engine fired the play.</summary>
    public required DateTimeOffset FiredAt { get; init; }

    /// <summary>Event time at which the threshold crossed.</summary>
    public required DateTimeOffset EventTime { get; init; }
    public required PlayOwner Owner { get; init; }
    public int? Tier { get; init; }
    public string? Pod { get; init; }
    public string? Segment { get; init; }
    public required Evidence Evidence { get; init; }
    public required HealthAtFiring Health { get; init; }
    public PlayStatus Status { get; init; } = PlayStatus.Open;
    public DateTimeOffset? ResolvedAt { get; init; }
    public DateTimeOffset? ResolvedEventTime { get; init; }

    /// <summary>Fired by a shadow rule: recorded and queryable, never delivered to subscribers.</summary>
    public bool Shadow { get; init; }

    /// <summary>
    /// Set while an open churn-risk play of the same workspace inhibits this expansion play (like alert
    /// inhibition): recorded, not delivered; delivered once the risk clears if it is still open.
    /// </summary>
    public string? HeldBy { get; init; }

    /// <summary>
    /// Set when the owner's daily budget was spent (fatigue control): the play is recorded, not pushed on
    /// its own, and goes out in the owner's digest of that day.
    /// </summary>
    public DateOnly? DigestOn { get; init; }

    /// <summary>Delivered to subscribers on its own (feed, webhooks): not a shadow play, not held, not in a digest.</summary>
    public bool Deliverable => !Shadow && HeldBy is null && DigestOn is null;

    /// <summary>What people did with the play (acknowledged, snoozed, resolved with an outcome), kept by the play store.</summary>
    public PlayLifecycle Lifecycle { get; init; } = PlayLifecycle.Initial;

    /// <summary>Deterministic id: "pl_" + 26 hex characters of XxHash128 over the episode's identity (start day as a UTC day number).</summary>
    public static string IdFor(string workspaceId, string ruleId, string? subject, int episodeStartDay)
    {
        var identity = $"{workspaceId}\n{ruleId}\n{subject}\n{episodeStartDay}";
        var hash = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(identity));
        return "pl_" + hash.ToString("x32")[..26];
    }
}

/// <summary>The names a play's enums have on the wire (snake_case), shared by every API surface.</summary>
public static class PlayVocabulary
{
    public static string Name(PlayKind kind) => kind switch
    {
        PlayKind.ChurnRisk => "churn_risk",
        PlayKind.Expansion => "expansion",
        PlayKind.Onboarding => "onboarding",
        _ => "adoption",
    };

    public static bool TryParseKind(string text, out PlayKind kind)
    {
        foreach (var candidate in Enum.GetValues<PlayKind>())
        {
            if (Name(candidate) == text) { kind = candidate; return true; }
        }
        kind = default;
        return false;
    }

    public static string Name(OwnerRole role) => role switch
    {
        OwnerRole.Csm => "csm",
        OwnerRole.AccountManager => "account_manager",
        _ => "digital",
    };

    public static string Name(Severity severity) => severity.ToString().ToLowerInvariant();

    public static string Name(PlayStatus status) => status.ToString().ToLowerInvariant();
}
