using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Plays;

/// <summary>
/// Who owns a play, as the catalogue's <c>routing:</c> section says. The defaults follow DOMAIN.md:
/// churn risk, onboarding and adoption go to the CSM, commercial expansion to the account manager, and
/// tier 3 to the digital channel rather than a person.
/// </summary>
public sealed record RoutingPolicy
{
    /// <summary>Tiers whose plays go to the digital channel (in-app prompts, email sequences).</summary>
    public IReadOnlySet<int> DigitalTiers { get; init; } = new HashSet<int> { 3 };

    /// <summary>The owner name digital plays carry.</summary>
    public string DigitalChannel { get; init; } = PlayRouting.DigitalChannel;

    public IReadOnlyDictionary<PlayKind, OwnerRole> RoleByKind { get; init; } = new Dictionary<PlayKind, OwnerRole>
    {
        [PlayKind.ChurnRisk] = OwnerRole.Csm,
        [PlayKind.Onboarding] = OwnerRole.Csm,
        [PlayKind.Adoption] = OwnerRole.Csm,
        [PlayKind.Expansion] = OwnerRole.AccountManager,
    };

    public static RoutingPolicy Default { get; } = new();
}

public static class PlayRouting
{
    public const string DigitalChannel = "digital";

    public static PlayOwner OwnerFor(PlayKind kind, OwnerRole? ruleOverride, WorkspaceProfile? profile) =>
        OwnerFor(kind, ruleOverride, profile, RoutingPolicy.Default);

    public static PlayOwner OwnerFor(PlayKind kind, OwnerRole? ruleOverride, WorkspaceProfile? profile, RoutingPolicy policy)
    {
        if (profile is not null && policy.DigitalTiers.Contains(profile.Tier)) return new PlayOwner(OwnerRole.Digital, policy.DigitalChannel);
        var role = ruleOverride ?? policy.RoleByKind.GetValueOrDefault(kind, OwnerRole.Csm);
        return role switch
        {
            OwnerRole.AccountManager => new PlayOwner(role, profile?.AccountManager),
            OwnerRole.Csm => new PlayOwner(role, profile?.Csm),
            _ => new PlayOwner(role, policy.DigitalChannel),
        };
    }
}
