using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

public class RuleCatalogueTests
{
    /// <summary>The default catalogue of DOMAIN.md: rule id and kind, in its order.</summary>
    public static TheoryData<string, PlayKind> DocumentedRules() => new()
    {
        { "churn.active_users_drop", PlayKind.ChurnRisk },
        { "churn.core_usage_decline", PlayKind.ChurnRisk },
        { "churn.silence", PlayKind.ChurnRisk },
        { "churn.usage_anomaly", PlayKind.ChurnRisk },
        { "risk.sponsor_change", PlayKind.ChurnRisk },
        { "risk.support_escalation", PlayKind.ChurnRisk },
        { "onboarding.activation_missed", PlayKind.Onboarding },
        { "expansion.module_adoption", PlayKind.Expansion },
        { "expansion.seat_pressure", PlayKind.Expansion },
        { "expansion.usage_limit", PlayKind.Expansion },
        { "adoption.below_peers", PlayKind.Adoption },
    };

    [Fact]
    public void The_default_catalogue_has_the_eleven_documented_rules_with_their_kinds()
    {
        Assert.Equal(
            DocumentedRules().Select(row => ((string)row[0], (PlayKind)row[1])),
            RuleCatalogue.Default.Rules.Select(r => (r.Id, r.Kind)));
        Assert.All(RuleCatalogue.Default.Rules, r => Assert.False(r.Shadow));
        Assert.Equal(RuleCatalogue.Default.Rules, RuleCatalogue.Default.Rules.Where(r => !r.Shadow));
    }

    [Fact]
    public void The_default_catalogue_counts_the_signal_events_its_rules_and_the_health_score_read()
    {
        var signals = RuleCatalogue.Default.SignalEvents;
        Assert.Equal(["crm.sponsor_changed", "limit.reached", "support.ticket_escalated"], signals.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_default_conventions_are_those_of_DOMAIN_md()
    {
        var conventions = RuleCatalogue.Default.Conventions;
        Assert.Equal(new EventConventions(), conventions);
        Assert.Equal("core.", conventions.CoreFeaturePrefix);
        Assert.Equal("module.", conventions.ModulePrefix);
        Assert.Equal("onboarding.completed", conventions.ActivationEvent);
        Assert.Equal("survey.nps", conventions.SurveyEvent);
        Assert.Equal("score", conventions.SurveyScoreProperty);
        Assert.Equal("crm.sponsor_changed", conventions.SponsorChangedEvent);
        Assert.Equal("support.ticket_escalated", conventions.EscalationEvent);
    }

    [Fact]
    public void The_default_health_model_is_the_one_of_the_shipped_catalogue()
    {
        var health = RuleCatalogue.DefaultHealth;
        Assert.Equal(HealthModel.Default.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), health.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
        Assert.Equal((70, 40), (health.GreenFrom, health.YellowFrom));
    }

    [Theory]
    [InlineData("module.reports.opened", "reports")]
    [InlineData("module.reports", "reports")]
    [InlineData("module.reports.export.csv", "reports")]
    [InlineData("module.", null)]
    [InlineData("module..opened", null)]
    [InlineData("modules.reports.opened", null)]
    [InlineData("core.reports", null)]
    public void ModuleOf_extracts_the_module_name(string eventName, string? module)
    {
        Assert.Equal(module, new EventConventions().ModuleOf(eventName));
    }

    [Fact]
    public void A_rule_without_tiers_or_segments_applies_everywhere()
    {
        var rule = RuleCatalogue.Default.Rules[0];
        Assert.True(rule.AppliesTo(null, null));
        Assert.True(rule.AppliesTo(3, "smb"));
    }

    [Fact]
    public void A_rule_limited_to_tiers_and_segments_applies_only_to_them()
    {
        var rule = RuleCatalogue.Default.Rules[0] with { Tiers = new HashSet<int> { 1, 2 }, Segments = new HashSet<string> { "enterprise" } };
        Assert.True(rule.AppliesTo(1, "enterprise"));
        Assert.False(rule.AppliesTo(3, "enterprise"));
        Assert.False(rule.AppliesTo(1, "smb"));
        Assert.False(rule.AppliesTo(null, "enterprise"));
        Assert.False(rule.AppliesTo(1, null));
    }
}
