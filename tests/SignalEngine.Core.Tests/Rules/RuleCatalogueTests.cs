using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

public class RuleCatalogueTests
{
    [Fact]
    public void The_default_catalogue_has_the_four_documented_rules()
    {
        Assert.Equal(
            ["risk.sponsor_change", "expansion.usage_limit", "expansion.seat_pressure", "expansion.module_adoption"],
            RuleCatalogue.Default.Rules.Select(r => r.Id));
        Assert.Equal(PlayKind.ChurnRisk, RuleCatalogue.Default.Rules[0].Kind);
        Assert.All(RuleCatalogue.Default.Rules.Skip(1), r => Assert.Equal(PlayKind.Expansion, r.Kind));
    }

    [Fact]
    public void The_default_catalogue_counts_the_signal_events_its_rules_and_the_health_score_read()
    {
        var signals = RuleCatalogue.Default.SignalEvents;
        Assert.Contains("crm.sponsor_changed", signals);
        Assert.Contains("limit.reached", signals);
        Assert.Contains("support.ticket_escalated", signals);
        Assert.Equal(3, signals.Count);
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
