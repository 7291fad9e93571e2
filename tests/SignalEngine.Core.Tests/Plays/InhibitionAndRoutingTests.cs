using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Tests.Plays;

public sealed class InhibitionAndRoutingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 9, 1, 10, 0, 0, TimeSpan.Zero);

    private static WorkspaceProfile Profile(int tier = 1) => new()
    {
        Name = "Acme", CreatedAt = T0.AddDays(-400), Tier = tier, SeatsPurchased = 2, Csm = "Carla", AccountManager = "Arno",
    };

    private static UsageEvent Event(string id, string? user, string name, DateTimeOffset at) => new(id, "ws", user, name, at);

    [Fact]
    public void An_open_churn_risk_holds_expansion_plays_and_releases_them_when_it_clears()
    {
        var workspace = new Workspace("ws", RuleCatalogue.Default, RuleCatalogue.DefaultHealth);
        workspace.SetProfile(Profile(), T0);

        var first = workspace.Apply([Event("s", null, "crm.sponsor_changed", T0), Event("a", "u1", "core.x", T0), Event("b", "u2", "core.x", T0)], T0);

        var risk = Assert.Single(first, p => p.RuleId == "risk.sponsor_change");
        var seats = Assert.Single(first, p => p.RuleId == "expansion.seat_pressure");
        Assert.Null(risk.HeldBy);
        Assert.True(risk.Deliverable);
        Assert.Equal(risk.PlayId, seats.HeldBy);
        Assert.False(seats.Deliverable);

        // Both users stay active; 30 days later the sponsor change is out of its window and the risk resolves.
        List<Play> changes = [];
        for (var day = 1; day <= 31; day++)
            changes.AddRange(workspace.Apply([Event($"a{day}", "u1", "core.x", T0.AddDays(day)), Event($"b{day}", "u2", "core.x", T0.AddDays(day))], T0.AddDays(day)));

        Assert.Contains(changes, p => p.PlayId == risk.PlayId && p.Status == PlayStatus.Resolved);
        var released = changes.Last(p => p.PlayId == seats.PlayId);
        Assert.Equal(PlayStatus.Open, released.Status);
        Assert.Null(released.HeldBy);
        Assert.True(released.Deliverable);
    }

    [Fact]
    public void Routing_comes_from_the_catalogue()
    {
        var yaml = CatalogueLoader.DefaultText().Replace(
            "  digitalTiers: [3]                     # tier 3 gets in-app prompts and email sequences, not a person",
            "  digitalTiers: [2, 3]", StringComparison.Ordinal).Replace(
            "    expansion: account_manager          # commercial conversations",
            "    expansion: csm", StringComparison.Ordinal);
        var (catalogue, health) = CatalogueLoader.Load(yaml, "routing.yaml");
        Assert.Equal(new HashSet<int> { 2, 3 }, catalogue.Routing.DigitalTiers);

        var tier1 = new Workspace("ws", catalogue, health);
        tier1.SetProfile(Profile(tier: 1), T0);
        var limit = Assert.Single(tier1.Apply([Event("l", "u1", "limit.reached", T0)], T0), p => p.RuleId == "expansion.usage_limit");
        Assert.Equal(new PlayOwner(OwnerRole.Csm, "Carla"), limit.Owner);

        var tier2 = new Workspace("ws2", catalogue, health);
        tier2.SetProfile(Profile(tier: 2), T0);
        var digital = Assert.Single(tier2.Apply([Event("l", "u1", "limit.reached", T0)], T0), p => p.RuleId == "expansion.usage_limit");
        Assert.Equal(new PlayOwner(OwnerRole.Digital, "digital"), digital.Owner);
    }

    [Fact]
    public void A_bad_routing_section_names_its_field()
    {
        var yaml = CatalogueLoader.DefaultText().Replace("    expansion: account_manager          # commercial conversations", "    expansion: sales", StringComparison.Ordinal);
        var error = Assert.Throws<CatalogueException>(() => CatalogueLoader.Load(yaml, "bad.yaml"));
        Assert.Contains(error.Errors, e => e.StartsWith("bad.yaml:", StringComparison.Ordinal) && e.Contains("routing.byKind.expansion: 'sales' is not one of csm, account_manager, digital"));
    }
}

public sealed class FatiguePolicyTests
{
    private static Play Play(Severity severity, OwnerRole role = OwnerRole.Csm, string? name = "Dana") => new()
    {
        PlayId = "p", WorkspaceId = "w", RuleId = "r", EpisodeStart = new DateOnly(2026, 11, 23), Kind = PlayKind.ChurnRisk, Severity = severity,
        Title = "t", FiredAt = DateTimeOffset.UnixEpoch, EventTime = DateTimeOffset.UnixEpoch, Owner = new PlayOwner(role, name),
        Evidence = new Evidence("m", 1, null, null, 1, "7d", ">="), Health = new HealthAtFiring(null, "unknown"),
    };

    [Fact]
    public void Over_budget_plays_go_to_the_digest_unless_severe_or_digital()
    {
        var policy = new FatiguePolicy { MaxPlaysPerOwnerPerDay = 3 };
        Assert.False(policy.SendsToDigest(Play(Severity.Medium), deliveredToday: 2));
        Assert.True(policy.SendsToDigest(Play(Severity.Medium), deliveredToday: 3));
        Assert.False(policy.SendsToDigest(Play(Severity.High), deliveredToday: 30));
        Assert.False(policy.SendsToDigest(Play(Severity.Low, OwnerRole.Digital, "digital"), deliveredToday: 30));
        Assert.False(FatiguePolicy.Off.SendsToDigest(Play(Severity.Low), deliveredToday: 1_000));
    }

    [Fact]
    public void The_catalogue_sets_the_policy_and_names_bad_fields()
    {
        var yaml = CatalogueLoader.DefaultText()
            .Replace("  maxPlaysPerOwnerPerDay: 0 ", "  maxPlaysPerOwnerPerDay: 25 ", StringComparison.Ordinal)
            .Replace("  alwaysDeliver: [high, critical]", "  alwaysDeliver: [critical]", StringComparison.Ordinal);
        var (catalogue, _) = CatalogueLoader.Load(yaml, "f.yaml");
        Assert.Equal(25, catalogue.Fatigue.MaxPlaysPerOwnerPerDay);
        Assert.Equal(new HashSet<Severity> { Severity.Critical }, catalogue.Fatigue.AlwaysDeliver);
        Assert.Equal(17, catalogue.Fatigue.DigestHourUtc);
        Assert.Equal(0, RuleCatalogue.Default.Fatigue.MaxPlaysPerOwnerPerDay);

        var bad = CatalogueLoader.DefaultText().Replace("  digestHourUtc: 17 ", "  digestHourUtc: 25 ", StringComparison.Ordinal);
        var error = Assert.Throws<CatalogueException>(() => CatalogueLoader.Load(bad, "bad.yaml"));
        Assert.Contains(error.Errors, e => e.Contains("fatigue.digestHourUtc: 25 is out of range (0 to 23)"));
    }
}
