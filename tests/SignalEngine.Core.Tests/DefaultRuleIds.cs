namespace SignalEngine.Core.Tests;

/// <summary>The ids of the shipped catalogue's eleven rules, for tests that drive them through a workspace.</summary>
internal static class DefaultRuleIds
{
    public const string ActiveUsersDrop = "churn.active_users_drop";
    public const string CoreUsageDecline = "churn.core_usage_decline";
    public const string Silence = "churn.silence";
    public const string UsageAnomaly = "churn.usage_anomaly";
    public const string SponsorChange = "risk.sponsor_change";
    public const string SupportEscalation = "risk.support_escalation";
    public const string ActivationMissed = "onboarding.activation_missed";
    public const string SeatPressure = "expansion.seat_pressure";
    public const string ModuleAdoption = "expansion.module_adoption";
    public const string UsageLimit = "expansion.usage_limit";
    public const string BelowPeers = "adoption.below_peers";
}
