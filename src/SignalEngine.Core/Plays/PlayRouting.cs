using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Plays;

/// <summary>
/// Who owns a play (DOMAIN.md): churn risk, onboarding and adoption go to the CSM, commercial
/// expansion to the account manager, and tier 3 to the digital channel rather than a person.
/// </summary>
public static class PlayRouting
{
    public const string DigitalChannel = "digital";

    public static PlayOwner OwnerFor(PlayKind kind, OwnerRole? ruleOverride, WorkspaceProfile? profile)
    {
        if (profile?.Tier == 3) return new PlayOwner(OwnerRole.Digital, DigitalChannel);
        var role = ruleOverride ?? (kind == PlayKind.Expansion ? OwnerRole.AccountManager : OwnerRole.Csm);
        return role switch
        {
            OwnerRole.AccountManager => new PlayOwner(role, profile?.AccountManager),
            OwnerRole.Csm => new PlayOwner(role, profile?.Csm),
            _ => new PlayOwner(role, DigitalChannel),
        };
    }
}
