using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;

namespace SignalEngine.Core.Tests.Plays;

public class PlayTests
{
    private static readonly int Day0 = EventDay.Of(EventFactory.T0);

    [Fact]
    public void IdFor_is_deterministic()
    {
        Assert.Equal(Play.IdFor("ws_acme", "expansion.module_adoption", "reports", Day0), Play.IdFor("ws_acme", "expansion.module_adoption", "reports", Day0));
        Assert.Equal(Play.IdFor("ws_acme", "risk.sponsor_change", null, Day0 + 3), Play.IdFor("ws_acme", "risk.sponsor_change", null, Day0 + 3));
    }

    [Fact]
    public void IdFor_has_the_documented_shape()
    {
        var id = Play.IdFor("ws_acme", "risk.sponsor_change", null, Day0);
        Assert.Matches("^pl_[0-9a-f]{26}$", id);
    }

    [Fact]
    public void IdFor_pins_the_hash_of_the_episode_start_day_number_so_ids_survive_upgrades()
    {
        var identity = "ws_acme\nrisk.sponsor_change\n\n20759"; // 2026-11-02 is UTC day 20759
        var hash = System.IO.Hashing.XxHash128.HashToUInt128(System.Text.Encoding.UTF8.GetBytes(identity));
        Assert.Equal("pl_" + hash.ToString("x32")[..26], Play.IdFor("ws_acme", "risk.sponsor_change", null, 20_759));
        Assert.Equal(20_759, Day0);
    }

    [Fact]
    public void IdFor_differs_per_episode_start_subject_rule_and_workspace()
    {
        var ids = new[]
        {
            Play.IdFor("ws_acme", "expansion.module_adoption", "reports", Day0),
            Play.IdFor("ws_acme", "expansion.module_adoption", "reports", Day0 + 1),
            Play.IdFor("ws_acme", "expansion.module_adoption", "billing", Day0),
            Play.IdFor("ws_acme", "expansion.module_adoption", null, Day0),
            Play.IdFor("ws_acme", "expansion.seat_pressure", "reports", Day0),
            Play.IdFor("ws_globex", "expansion.module_adoption", "reports", Day0),
            Play.IdFor("ws_acme", "expansion.module_adoption", "reports", Day0 - 1),
            Play.IdFor("ws_acme", "expansion.module_adoption", "reports", 0),
        };
        Assert.Equal(ids.Length, ids.Distinct().Count());
    }

    [Fact]
    public void Enum_names_on_the_wire_are_snake_case_and_parse_back()
    {
        Assert.Equal("churn_risk", PlayVocabulary.Name(PlayKind.ChurnRisk));
        Assert.Equal("expansion", PlayVocabulary.Name(PlayKind.Expansion));
        Assert.Equal("onboarding", PlayVocabulary.Name(PlayKind.Onboarding));
        Assert.Equal("adoption", PlayVocabulary.Name(PlayKind.Adoption));
        Assert.Equal("account_manager", PlayVocabulary.Name(OwnerRole.AccountManager));
        Assert.Equal("digital", PlayVocabulary.Name(OwnerRole.Digital));
        Assert.Equal("csm", PlayVocabulary.Name(OwnerRole.Csm));
        Assert.Equal("high", PlayVocabulary.Name(Severity.High));
        Assert.Equal("resolved", PlayVocabulary.Name(PlayStatus.Resolved));
        Assert.Equal("retracted", PlayVocabulary.Name(PlayStatus.Retracted));
        foreach (var kind in Enum.GetValues<PlayKind>())
        {
            Assert.True(PlayVocabulary.TryParseKind(PlayVocabulary.Name(kind), out var parsed));
            Assert.Equal(kind, parsed);
        }
        Assert.False(PlayVocabulary.TryParseKind("ChurnRisk", out _));
    }
}

public class PlayRoutingTests
{
    private static readonly Core.Workspaces.WorkspaceProfile Tier1 = WorkspaceFactory.Profile(tier: 1);

    [Fact]
    public void Expansion_goes_to_the_account_manager()
    {
        Assert.Equal(new PlayOwner(OwnerRole.AccountManager, WorkspaceFactory.AccountManagerName), PlayRouting.OwnerFor(PlayKind.Expansion, null, Tier1));
    }

    [Theory]
    [InlineData(PlayKind.ChurnRisk)]
    [InlineData(PlayKind.Onboarding)]
    [InlineData(PlayKind.Adoption)]
    public void Other_kinds_go_to_the_csm(PlayKind kind)
    {
        Assert.Equal(new PlayOwner(OwnerRole.Csm, WorkspaceFactory.CsmName), PlayRouting.OwnerFor(kind, null, Tier1));
        Assert.Equal(new PlayOwner(OwnerRole.Csm, WorkspaceFactory.CsmName), PlayRouting.OwnerFor(kind, null, WorkspaceFactory.Profile(tier: 2)));
    }

    [Theory]
    [InlineData(PlayKind.ChurnRisk, null)]
    [InlineData(PlayKind.Expansion, null)]
    [InlineData(PlayKind.Expansion, OwnerRole.Csm)]
    public void Tier_3_goes_to_the_digital_channel_whatever_the_kind_or_override(PlayKind kind, OwnerRole? roleOverride)
    {
        Assert.Equal(new PlayOwner(OwnerRole.Digital, PlayRouting.DigitalChannel), PlayRouting.OwnerFor(kind, roleOverride, WorkspaceFactory.Profile(tier: 3)));
    }

    [Fact]
    public void A_rule_override_picks_the_role()
    {
        Assert.Equal(new PlayOwner(OwnerRole.Csm, WorkspaceFactory.CsmName), PlayRouting.OwnerFor(PlayKind.Expansion, OwnerRole.Csm, Tier1));
        Assert.Equal(new PlayOwner(OwnerRole.Digital, PlayRouting.DigitalChannel), PlayRouting.OwnerFor(PlayKind.ChurnRisk, OwnerRole.Digital, Tier1));
    }

    [Fact]
    public void Without_a_profile_the_role_is_known_but_not_the_person()
    {
        Assert.Equal(new PlayOwner(OwnerRole.AccountManager, null), PlayRouting.OwnerFor(PlayKind.Expansion, null, null));
        Assert.Equal(new PlayOwner(OwnerRole.Csm, null), PlayRouting.OwnerFor(PlayKind.ChurnRisk, null, null));
    }
}

public class PlayQueryTests
{
    private static Play Play(string workspace = "ws_a", string rule = "risk.sponsor_change", PlayKind kind = PlayKind.ChurnRisk, int firedMinutes = 0) => new()
    {
        PlayId = Core.Plays.Play.IdFor(workspace, rule, null, EventDay.Of(EventFactory.T0)),
        WorkspaceId = workspace,
        RuleId = rule,
        EpisodeStart = DateOnly.FromDateTime(EventFactory.T0.UtcDateTime),
        Kind = kind,
        Severity = Severity.High,
        Title = "t",
        FiredAt = EventFactory.T0.AddMinutes(firedMinutes),
        EventTime = EventFactory.T0,
        Owner = new PlayOwner(OwnerRole.Csm, null),
        Evidence = new Evidence("m", 1, null, null, 1, "30d", ">="),
        Health = new HealthAtFiring(null, "unknown"),
    };

    [Fact]
    public void An_empty_query_matches_everything()
    {
        Assert.True(new PlayQuery().Matches(Play()));
        Assert.Equal(PlayQuery.DefaultLimit, new PlayQuery().Limit);
    }

    [Fact]
    public void Each_filter_narrows_the_match()
    {
        var play = Play();
        Assert.True(new PlayQuery { WorkspaceId = "ws_a", RuleId = "risk.sponsor_change", Kind = PlayKind.ChurnRisk, Since = EventFactory.T0 }.Matches(play));
        Assert.False(new PlayQuery { WorkspaceId = "ws_b" }.Matches(play));
        Assert.False(new PlayQuery { RuleId = "expansion.usage_limit" }.Matches(play));
        Assert.False(new PlayQuery { Kind = PlayKind.Expansion }.Matches(play));
        Assert.False(new PlayQuery { Since = EventFactory.T0.AddTicks(1) }.Matches(play));
    }

    [Fact]
    public void Shadow_plays_match_only_a_shadow_query_and_live_plays_only_a_live_one()
    {
        var live = Play();
        var shadow = Play() with { Shadow = true };
        Assert.True(new PlayQuery().Matches(live));
        Assert.False(new PlayQuery().Matches(shadow));
        Assert.True(new PlayQuery { Shadow = true }.Matches(shadow));
        Assert.False(new PlayQuery { Shadow = true }.Matches(live));
    }
}
