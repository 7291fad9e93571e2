
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

    /// <summary>Per-person daily budget of pushed plays and the digest for the rest.</summary>
    public Plays.FatiguePolicy Fatigue { get; init; } = Plays.FatiguePolicy.Off;

    /// <summary>Who owns plays, by tier and kind.</summary>
    public Plays.RoutingPolicy Routing { get; init; } = Plays.RoutingPolicy.Default;

    /// <summary>The longest look-back of any rule: how far before a re-evaluated day the kept history must reach.</summary>
    public int MaxLookbackDays { get; } = Rules.Select(r => r.Condition.LookbackDays).DefaultIfEmpty(0).Max();

    /// <summary>Longest look-back the kept history (256 days) allows on top of the 120-day maximum retention.</summary>
    public const int LookbackLimitDays = 128;

    private static readonly Lazy<(RuleCatalogue Catalogue, Health.HealthModel Health)> Shipped =
        new(() => CatalogueLoader.Load(CatalogueLoader.DefaultText(), "default-catalogue.yaml"));

    /// <summary>The catalogue that ships with the engine: the eleven default rules of DOMAIN.md.</summary>
    public static RuleCatalogue Default => Shipped.Value.Catalogue;

    /// <summary>The health model of the shipped catalogue.</summary>
    public static Health.HealthModel DefaultHealth => Shipped.Value.Health;
}
