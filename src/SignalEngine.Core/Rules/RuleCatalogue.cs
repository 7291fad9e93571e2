using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Rules;

/// <summary>
/// How event names map to meanings. The defaults follow the conventions in DOMAIN.md; a product with
/// other event names changes these, not the engine.
/// </summary>
public sealed record EventConventions
{
    /// <summary>Events whose name starts with this are core-feature usage; the full name is the feature.</summary>
    public string CoreFeaturePrefix { get; init; } = "core.";

    /// <summary>Events named <c>{prefix}{module}.{action}</c> are use of that module.</summary>
    public string ModulePrefix { get; init; } = "module.";

    public string ActivationEvent { get; init; } = "onboarding.completed";
    public string SurveyEvent { get; init; } = "survey.nps";
    public string SurveyScoreProperty { get; init; } = "score";
    public string SupportPrefix { get; init; } = "support.";
    public string CrmPrefix { get; init; } = "crm.";
    public string SponsorChangedEvent { get; init; } = "crm.sponsor_changed";
    public string EscalationEvent { get; init; } = "support.ticket_escalated";

    /// <summary>Caps that keep a workspace's memory bounded whatever names a producer invents.</summary>
    public int MaxTrackedModules { get; init; } = 64;
    public int MaxTrackedCoreFeatures { get; init; } = 256;

    /// <summary>The module an event is about, or null when it is not a module event.</summary>
    public string? ModuleOf(string eventName)
    {
        if (!eventName.StartsWith(ModulePrefix, StringComparison.Ordinal)) return null;
        var rest = eventName.AsSpan(ModulePrefix.Length);
        var dot = rest.IndexOf('.');
        var module = dot < 0 ? rest : rest[..dot];
        return module.IsEmpty ? null : module.ToString();
    }
}

/// <summary>The rules in force and the event conventions they read.</summary>
public sealed record RuleCatalogue(IReadOnlyList<RuleDefinition> Rules, EventConventions Conventions)
{
    /// <summary>Event names that rules or the health score count per day.</summary>
    public IReadOnlySet<string> SignalEvents { get; } =
        Rules.SelectMany(r => r.Condition.SignalEvents)
            .Append(Conventions.SponsorChangedEvent)
            .Append(Conventions.EscalationEvent)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The default rules of DOMAIN.md that the engine evaluates today.</summary>
    public static RuleCatalogue Default { get; } = new(
    [
        new RuleDefinition
        {
            Id = "risk.sponsor_change",
            Kind = PlayKind.ChurnRisk,
            Severity = Severity.High,
            // The episode lasts while a sponsor change is within the last 30 days: a second change in that time is the same risk.
            Condition = new SignalCountCondition("crm.sponsor_changed", WindowDays: 30, MinCount: 1),
            Title = "Executive sponsor changed at {workspace}",
        },
        new RuleDefinition
        {
            Id = "expansion.usage_limit",
            Kind = PlayKind.Expansion,
            Severity = Severity.Medium,
            Condition = new SignalCountCondition("limit.reached", WindowDays: 7, MinCount: 1),
            Title = "{workspace} hit a plan limit ({value} in the last {window})",
        },
        new RuleDefinition
        {
            Id = "expansion.seat_pressure",
            Kind = PlayKind.Expansion,
            Severity = Severity.Medium,
            Condition = new SeatRatioCondition(WindowDays: 28, ThresholdPercent: 90, RecoveryPercent: 85),
            Title = "{workspace} uses {value}% of its purchased seats",
        },
        new RuleDefinition
        {
            Id = "expansion.module_adoption",
            Kind = PlayKind.Expansion,
            Severity = Severity.Medium,
            Condition = new CohortShareCondition(WindowDays: 28, ThresholdPercent: 80, RecoveryPercent: 70),
            Title = "{value}% of {subject} pilot users at {workspace} adopted the module",
        },
    ], new EventConventions());
}
