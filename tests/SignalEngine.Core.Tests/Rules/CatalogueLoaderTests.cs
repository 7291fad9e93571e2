using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using static SignalEngine.Core.Tests.EventFactory;

namespace SignalEngine.Core.Tests.Rules;

/// <summary>Reading the YAML catalogue: the shipped default, every kind of mistake with file, line, rule and field, and what a catalogue changes.</summary>
public class CatalogueLoaderTests
{
    private const string Source = "test.yaml";

    private static IReadOnlyList<string> Errors(string yaml) =>
        Assert.Throws<CatalogueException>(() => CatalogueLoader.Load(yaml, Source)).Errors;

    private static RuleCatalogue Load(string yaml) => CatalogueLoader.Load(yaml, Source).Catalogue;

    /// <summary>A catalogue with one rule whose lines 3–6 are id, kind, severity and title; <paramref name="rest"/> starts on line 7.</summary>
    private static string OneRule(string rest, string kind = "expansion") => $"""
        version: 1
        rules:
          - id: test.rule
            kind: {kind}
            severity: medium
            title: "{"{workspace}"} test"
        {rest}
        """;

    private const string LimitCondition = """
            condition:
              type: event_count
              event: limit.reached
              window: 7d
              atLeast: 1
        """;

    // ---- the shipped catalogue -------------------------------------------------------------------------------------

    [Fact]
    public void The_shipped_catalogue_loads_with_the_eleven_rules_of_DOMAIN_md()
    {
        var (catalogue, health) = CatalogueLoader.Load(CatalogueLoader.DefaultText(), "default-catalogue.yaml");
        Assert.Equal(
            RuleCatalogueTests.DocumentedRules().Select(row => ((string)row[0], (PlayKind)row[1])),
            catalogue.Rules.Select(r => (r.Id, r.Kind)));
        static object Shape(RuleDefinition r) => (r.Id, r.Kind, r.Severity, r.Condition, r.Title, r.For, r.KeepFiringFor, r.Cooldown, r.OwnerRole, r.Shadow);
        Assert.Equal(RuleCatalogue.Default.Rules.Select(Shape), catalogue.Rules.Select(Shape));
        Assert.Equal(RuleCatalogue.Default.Conventions, catalogue.Conventions);
        Assert.Equal(HealthModel.Default.Weights.OrderBy(w => w.Key, StringComparer.Ordinal), health.Weights.OrderBy(w => w.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void The_shipped_rules_have_the_documented_conditions_and_timing()
    {
        var rules = RuleCatalogue.Default.Rules.ToDictionary(r => r.Id);
        Assert.Equal(new ChangeCondition(UsageMetric.ActiveUsers, 21, ChangeDirection.Drop, 20, 5, 10), rules["churn.active_users_drop"].Condition);
        Assert.Equal(new ChangeCondition(UsageMetric.CoreEvents, 21, ChangeDirection.Drop, 30, 10, 15), rules["churn.core_usage_decline"].Condition);
        Assert.Equal(new AbsenceCondition(14), rules["churn.silence"].Condition);
        Assert.Equal(new AnomalyCondition(-3.5, -2, 4, 8), rules["churn.usage_anomaly"].Condition);
        Assert.Equal(new SignalCountCondition("crm.sponsor_changed", 30, 1), rules["risk.sponsor_change"].Condition);
        Assert.Equal(new SignalCountCondition("support.ticket_escalated", 14, 2), rules["risk.support_escalation"].Condition);
        Assert.Equal(new DeadlineCondition(60, 90), rules["onboarding.activation_missed"].Condition);
        Assert.Equal(new CohortShareCondition(28, 80, 70), rules["expansion.module_adoption"].Condition);
        Assert.Equal(new SeatRatioCondition(28, 90, 85), rules["expansion.seat_pressure"].Condition);
        Assert.Equal(new SignalCountCondition("limit.reached", 7, 1), rules["expansion.usage_limit"].Condition);
        Assert.Equal(new BelowPeersCondition(28, 50, 5, 60), rules["adoption.below_peers"].Condition);

        Assert.All(rules.Values, r => Assert.Equal(TimeSpan.Zero, r.For));
        Assert.All(rules.Values, r => Assert.Equal(TimeSpan.Zero, r.KeepFiringFor));
        Assert.Equal(
            ["churn.active_users_drop", "churn.core_usage_decline", "churn.usage_anomaly"],
            rules.Values.Where(r => r.Cooldown == TimeSpan.FromDays(7)).Select(r => r.Id));
        Assert.All(rules.Values.Where(r => r.Cooldown != TimeSpan.FromDays(7)), r => Assert.Equal(TimeSpan.Zero, r.Cooldown));
        Assert.All(rules.Values, r => Assert.Empty(r.Tiers));
        Assert.All(rules.Values, r => Assert.Empty(r.Segments));
        Assert.All(rules.Values, r => Assert.Null(r.OwnerRole));
    }

    [Fact]
    public void A_minimal_catalogue_loads_with_default_conventions_and_health()
    {
        var (catalogue, health) = CatalogueLoader.Load(OneRule(LimitCondition), Source);
        var rule = Assert.Single(catalogue.Rules);
        Assert.Equal(("test.rule", PlayKind.Expansion, Severity.Medium, "{workspace} test"), (rule.Id, rule.Kind, rule.Severity, rule.Title));
        Assert.Equal(new SignalCountCondition("limit.reached", 7, 1), rule.Condition);
        Assert.Equal(new EventConventions(), catalogue.Conventions);
        Assert.Same(HealthModel.Default, health);
    }

    [Fact]
    public void Durations_owner_tiers_segments_and_shadow_are_read()
    {
        var rule = Assert.Single(Load(OneRule("""
                for: 30m
                keepFiringFor: 12h
                cooldown: 7d
                owner: csm
                tiers: [1, 2]
                segments: [enterprise, "mid-market"]
                shadow: true
            """ + "\n" + LimitCondition)).Rules);
        Assert.Equal(TimeSpan.FromMinutes(30), rule.For);
        Assert.Equal(TimeSpan.FromHours(12), rule.KeepFiringFor);
        Assert.Equal(TimeSpan.FromDays(7), rule.Cooldown);
        Assert.Equal(OwnerRole.Csm, rule.OwnerRole);
        Assert.Equal([1, 2], rule.Tiers.Order());
        Assert.Equal(["enterprise", "mid-market"], rule.Segments.Order(StringComparer.Ordinal));
        Assert.True(rule.Shadow);
    }

    // ---- mistakes ----------------------------------------------------------------------------------------------------

    [Fact]
    public void Invalid_yaml_names_the_file_and_line()
    {
        var error = Assert.Single(Errors("version: 1\nrules: [\n  - id: x\n"));
        Assert.StartsWith("test.yaml:3: not valid YAML: ", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("- a\n- b\n")]
    [InlineData("just text")]
    public void A_catalogue_that_is_not_a_mapping_is_refused(string yaml)
    {
        Assert.Equal(["test.yaml: the catalogue must be a YAML mapping with 'version' and 'rules'"], Errors(yaml));
    }

    [Fact]
    public void Missing_rules_are_named()
    {
        Assert.Equal(["test.yaml:1: rules: required"], Errors("version: 1\n"));
        Assert.Equal(["test.yaml:2: rules: must be a list of rules"], Errors("version: 1\nrules: 3\n"));
        Assert.Equal(["test.yaml:3: rules[0]: must be a mapping"], Errors("version: 1\nrules:\n  - just text\n"));
    }

    [Fact]
    public void Version_2_and_a_missing_version_are_refused()
    {
        Assert.Equal(["test.yaml:1: version: 2 is not supported (expected 1)"], Errors("version: 2\nrules: []\n"));
        Assert.Equal(["test.yaml:1: version: required"], Errors("rules: []\n"));
        Assert.Equal(["test.yaml:1: version: 'one' is not a whole number"], Errors("version: one\nrules: []\n"));
    }

    [Fact]
    public void A_misspelt_field_is_an_unknown_field_and_the_intended_one_is_missing()
    {
        var errors = Errors(OneRule("""
                condition:
                  type: change
                  metric: active_users
                  window: 21d
                  direction: drop
                  treshold: 20
            """));
        Assert.Equal(
        [
            "test.yaml:12: rule 'test.rule': condition.treshold: unknown field (allowed: type, metric, window, direction, threshold, minimumBaseline, recovery)",
            "test.yaml:8: rule 'test.rule': condition.threshold: required",
        ], errors);
    }

    [Fact]
    public void An_unknown_rule_field_is_named()
    {
        Assert.Equal(
            ["test.yaml:7: rule 'test.rule': cooldwn: unknown field (allowed: id, kind, severity, title, condition, for, keepFiringFor, cooldown, owner, tiers, segments, shadow)"],
            Errors(OneRule("    cooldwn: 7d\n" + LimitCondition)));
    }

    [Fact]
    public void A_missing_required_field_is_named_at_its_rule()
    {
        Assert.Equal(["test.yaml:3: rule 'test.rule': kind: required"], Errors("""
            version: 1
            rules:
              - id: test.rule
                severity: medium
                title: t
                condition: {type: absence, days: 14}
            """));
        Assert.Equal(["test.yaml:3: rule 'test.rule': condition: required"], Errors("""
            version: 1
            rules:
              - id: test.rule
                kind: expansion
                severity: medium
                title: t
            """));
        Assert.Equal(["test.yaml:8: rule 'test.rule': condition.event: required"], Errors(OneRule("""
                condition:
                  type: event_count
                  window: 7d
                  atLeast: 1
            """)));
    }

    [Fact]
    public void A_rule_without_an_id_is_named_by_its_position()
    {
        Assert.Equal(["test.yaml:8: rule '#2': id: required"], Errors("""
            version: 1
            rules:
              - id: first.rule
                kind: expansion
                severity: low
                title: t
                condition: {type: absence, days: 14}
              - kind: expansion
                severity: low
                title: t
                condition: {type: absence, days: 14}
            """));
    }

    [Fact]
    public void Unknown_kind_severity_owner_condition_type_and_metric_list_the_choices()
    {
        Assert.Equal(
        [
            "test.yaml:4: rule 'test.rule': kind: 'churn' is not one of churn_risk, expansion, onboarding, adoption",
            "test.yaml:5: rule 'test.rule': severity: 'urgent' is not one of low, medium, high, critical",
            "test.yaml:7: rule 'test.rule': owner: 'boss' is not one of csm, account_manager, digital",
        ], Errors("""
            version: 1
            rules:
              - id: test.rule
                kind: churn
                severity: urgent
                title: t
                owner: boss
                condition: {type: absence, days: 14}
            """));
        Assert.Equal(
            ["test.yaml:8: rule 'test.rule': condition.type: 'threshold' is not one of change, ratio_to_limit, cohort_share, event_count, absence, deadline, anomaly, below_peers"],
            Errors(OneRule("    condition:\n      type: threshold\n")));
        Assert.Equal(
            ["test.yaml:9: rule 'test.rule': condition.metric: 'sessions' is not one of active_users, core_events, core_features"],
            Errors(OneRule("""
                    condition:
                      type: change
                      metric: sessions
                      window: 21d
                      direction: drop
                      threshold: 20
                """)));
    }

    [Theory]
    [InlineData("threshold: high", "test.yaml:12: rule 'test.rule': condition.threshold: 'high' is not a number")]
    [InlineData("threshold: 20%", "test.yaml:12: rule 'test.rule': condition.threshold: '20%' is not a number")]
    [InlineData("threshold: 150", "test.yaml:12: rule 'test.rule': condition.threshold: 150 is out of range (0.01 to 100)")]
    [InlineData("threshold: 0", "test.yaml:12: rule 'test.rule': condition.threshold: 0 is out of range (0.01 to 100)")]
    [InlineData("threshold: .nan", "test.yaml:12: rule 'test.rule': condition.threshold: '.nan' is not a number")]
    public void A_threshold_that_is_not_a_number_in_range_is_named(string line, string expected)
    {
        Assert.Equal([expected], Errors(OneRule($"""
                condition:
                  type: change
                  metric: active_users
                  window: 21d
                  direction: drop
                  {line}
            """)));
    }

    [Theory]
    [InlineData("window: 7 days", "condition.window: '7 days' is not a number of days from 1d to 128d")]
    [InlineData("window: 0d", "condition.window: '0d' is not a number of days from 1d to 128d")]
    [InlineData("window: 129d", "condition.window: '129d' is not a number of days from 1d to 128d")]
    [InlineData("atLeast: 0", "condition.atLeast: 0 is out of range (1 to 1000000)")]
    [InlineData("atLeast: 1.5", "condition.atLeast: '1.5' is not a whole number")]
    public void Out_of_range_windows_and_counts_are_named(string line, string expected)
    {
        var fields = new Dictionary<string, string> { ["window"] = "window: 7d", ["atLeast"] = "atLeast: 1" };
        fields[line.Split(':')[0]] = line;
        var errors = Errors(OneRule($"""
                condition:
                  type: event_count
                  event: limit.reached
                  {fields["window"]}
                  {fields["atLeast"]}
            """));
        var lineNumber = line.StartsWith("window", StringComparison.Ordinal) ? 10 : 11;
        Assert.Equal([$"test.yaml:{lineNumber}: rule 'test.rule': {expected}"], errors);
    }

    [Theory]
    [InlineData("cooldown: 7 days", "cooldown: '7 days' is not a duration like 30m, 12h or 7d")]
    [InlineData("cooldown: 7", "cooldown: '7' is not a duration like 30m, 12h or 7d")]
    [InlineData("for: -5m", "for: '-5m' is not a duration like 30m, 12h or 7d")]
    [InlineData("keepFiringFor: 1.5h", "keepFiringFor: '1.5h' is not a duration like 30m, 12h or 7d")]
    [InlineData("cooldown: 2w", "cooldown: '2w' is not a duration like 30m, 12h or 7d")]
    public void A_bad_duration_is_named(string line, string expected)
    {
        Assert.Equal([$"test.yaml:7: rule 'test.rule': {expected}"], Errors(OneRule("    " + line + "\n" + LimitCondition)));
    }

    [Fact]
    public void A_zero_duration_is_none()
    {
        Assert.Equal(TimeSpan.Zero, Assert.Single(Load(OneRule("    cooldown: 0\n" + LimitCondition)).Rules).Cooldown);
    }

    [Fact]
    public void A_duplicate_rule_id_is_named_at_the_second_rule()
    {
        Assert.Equal(["test.yaml:8: rule 'a.rule': id: is used by another rule"], Errors("""
            version: 1
            rules:
              - id: a.rule
                kind: expansion
                severity: low
                title: t
                condition: {type: absence, days: 14}
              - id: a.rule
                kind: churn_risk
                severity: low
                title: t
                condition: {type: absence, days: 14}
            """));
    }

    [Fact]
    public void A_rule_id_with_a_space_or_slash_is_refused()
    {
        Assert.Equal(
            ["test.yaml:3: rule 'bad id/': id: 'bad id/' contains 'whitespace or control character'; allowed are printable ASCII characters except space / ? # %"],
            Errors("""
                version: 1
                rules:
                  - id: bad id/
                    kind: expansion
                    severity: low
                    title: t
                    condition: {type: absence, days: 14}
                """));
    }

    [Theory]
    [InlineData("{type: change, metric: active_users, window: 21d, direction: drop, threshold: 20, recovery: 25}",
        "condition.recovery: 25 must not exceed the threshold (20) — it is where the episode ends")]
    [InlineData("{type: ratio_to_limit, metric: active_users, limit: seats_purchased, window: 28d, threshold: 90, recovery: 95}",
        "condition.recovery: 95 must not exceed the threshold (90)")]
    [InlineData("{type: cohort_share, window: 28d, threshold: 80, recovery: 81}",
        "condition.recovery: 81 must not exceed the threshold (80)")]
    [InlineData("{type: below_peers, metric: core_features, window: 28d, ratio: 50, recovery: 40}",
        "condition.recovery: 40 must be at least the ratio (50) — it is where the episode ends")]
    [InlineData("{type: anomaly, zThreshold: -2, recoveryZ: -3}",
        "condition.recoveryZ: -3 must be above zThreshold (-2)")]
    [InlineData("{type: deadline, days: 60, relevantForDays: 30}",
        "condition.relevantForDays: 30 must be at least days (60)")]
    [InlineData("{type: anomaly, zThreshold: -3.5, minWeeks: 5, maxWeeks: 4}",
        "condition.maxWeeks: 4 must be at least minWeeks (5)")]
    [InlineData("{type: absence, days: 200}",
        "condition.days: 200 is out of range (1 to 120)")]
    public void A_recovery_beyond_its_threshold_and_other_inconsistent_values_are_named(string condition, string expected)
    {
        Assert.Equal([$"test.yaml:7: rule 'test.rule': {expected}"], Errors(OneRule("    condition: " + condition + "\n")));
    }

    [Theory]
    [InlineData("{type: change, metric: active_users, window: 63d, direction: drop, threshold: 20}", 126)] // two windows
    [InlineData("{type: ratio_to_limit, metric: active_users, limit: seats_purchased, window: 128d, threshold: 90}", 128)]
    [InlineData("{type: cohort_share, window: 128d, threshold: 80}", 128)]
    [InlineData("{type: event_count, event: limit.reached, window: 128d, atLeast: 1}", 128)]
    [InlineData("{type: below_peers, metric: core_features, window: 128d, ratio: 50}", 128)]
    [InlineData("{type: absence, days: 120}", 120)]
    [InlineData("{type: anomaly, zThreshold: -3.5, maxWeeks: 17}", 119)] // 17 weeks of the same weekday
    [InlineData("{type: deadline, days: 3650}", 0)]
    public void Every_condition_at_its_largest_allowed_window_reads_no_further_back_than_the_kept_history_allows(string condition, int lookback)
    {
        // The look-back the 256-day kept history allows on top of the 120-day maximum retention is never exceeded by a catalogue that loads.
        Assert.Equal(128, RuleCatalogue.LookbackLimitDays);
        var catalogue = Load(OneRule("    condition: " + condition + "\n"));
        Assert.Equal(lookback, Assert.Single(catalogue.Rules).Condition.LookbackDays);
        Assert.Equal(lookback, catalogue.MaxLookbackDays);
        Assert.InRange(catalogue.MaxLookbackDays, 0, RuleCatalogue.LookbackLimitDays);
    }

    [Fact]
    public void A_change_window_of_64_days_would_read_beyond_the_limit_and_is_refused()
    {
        Assert.Equal(["test.yaml:7: rule 'test.rule': condition.window: '64d' is not a number of days from 1d to 63d"],
            Errors(OneRule("    condition: {type: change, metric: active_users, window: 64d, direction: drop, threshold: 20}\n")));
    }

    [Fact]
    public void The_longest_look_back_of_the_shipped_catalogue_is_the_anomaly_s_eight_weeks()
    {
        Assert.Equal(56, RuleCatalogue.Default.MaxLookbackDays);
        Assert.Equal(
            [("churn.active_users_drop", 42), ("churn.core_usage_decline", 42), ("churn.silence", 14), ("churn.usage_anomaly", 56)],
            RuleCatalogue.Default.Rules.Where(r => r.Id.StartsWith("churn.", StringComparison.Ordinal)).Select(r => (r.Id, r.Condition.LookbackDays)));
        Assert.Equal(0, new DeadlineCondition(60, 90).LookbackDays);
        Assert.Equal(0, new RuleCatalogue([], RuleCatalogue.Default.Conventions).MaxLookbackDays);
    }

    [Fact]
    public void Health_bands_with_yellow_not_below_green_are_refused()
    {
        Assert.Equal(["test.yaml:4: health.bands.yellow: 70 must be below green (70)"], Errors("""
            version: 1
            health:
              bands:
                green: 70
                yellow: 70
            rules: []
            """));
        Assert.Equal(["test.yaml:4: health.bands.yellow: 80 must be below green (70)"], Errors("""
            version: 1
            health:
              bands:
                yellow: 80
            rules: []
            """));
    }

    [Fact]
    public void Health_weights_must_be_known_factors_and_not_all_zero()
    {
        Assert.Equal(
        [
            "test.yaml:10: health.weights.happiness: unknown field (allowed: usage_trend, engagement, adoption_breadth, support, sentiment, relationship)",
            "test.yaml:4: health.weights: at least one weight must be above 0",
        ], Errors("""
            version: 1
            health:
              weights:
                usage_trend: 0
                engagement: 0
                adoption_breadth: 0
                support: 0
                sentiment: 0
                relationship: 0
                happiness: 3
            rules: []
            """));
    }

    [Fact]
    public void Health_weights_and_bands_from_the_catalogue_are_used()
    {
        var (_, health) = CatalogueLoader.Load("""
            version: 1
            health:
              weights:
                sentiment: 50
              bands:
                green: 80
                yellow: 50
            rules: []
            """, Source);
        Assert.Equal(50, health.Weights[HealthModel.Sentiment]);
        Assert.Equal(30, health.Weights[HealthModel.UsageTrend]); // the others keep their defaults
        Assert.Equal((80, 50), (health.GreenFrom, health.YellowFrom));
    }

    [Fact]
    public void Unknown_and_out_of_range_conventions_are_named()
    {
        Assert.Equal(
        [
            "test.yaml:3: conventions.corePrefix: unknown field (allowed: coreFeaturePrefix, modulePrefix, activationEvent, surveyEvent, surveyScoreProperty, supportPrefix, crmPrefix, sponsorChangedEvent, escalationEvent, maxTrackedModules, maxTrackedCoreFeatures)",
            "test.yaml:4: conventions.maxTrackedModules: 0 is out of range (1 to 1024)",
        ], Errors("""
            version: 1
            conventions:
              corePrefix: app.
              maxTrackedModules: 0
            rules: []
            """));
    }

    [Fact]
    public void Every_mistake_is_reported_in_one_pass_and_in_the_exception_message()
    {
        var exception = Assert.Throws<CatalogueException>(() => CatalogueLoader.Load("""
            version: 2
            rules:
              - id: one.rule
                kind: churn
                severity: low
                title: t
                shadow: maybe
                condition: {type: absence, days: 0}
              - id: two.rule
                kind: expansion
                severity: low
                title: t
                tiers: [1, 4]
                condition: {type: event_count, event: x, window: 7 days, atLeast: 1}
            """, Source));
        Assert.Equal(
        [
            "test.yaml:1: version: 2 is not supported (expected 1)",
            "test.yaml:4: rule 'one.rule': kind: 'churn' is not one of churn_risk, expansion, onboarding, adoption",
            "test.yaml:8: rule 'one.rule': condition.days: 0 is out of range (1 to 120)",
            "test.yaml:7: rule 'one.rule': shadow: 'maybe' is not true or false",
            "test.yaml:13: rule 'two.rule': tiers: '4' is not a whole number from 1 to 3",
            "test.yaml:14: rule 'two.rule': condition.window: '7 days' is not a number of days from 1d to 128d",
        ], exception.Errors);
        Assert.All(exception.Errors, e => Assert.Contains(e, exception.Message));
    }

    // ---- what a catalogue changes --------------------------------------------------------------------------------------

    [Fact]
    public void The_core_feature_prefix_from_the_catalogue_decides_what_counts_as_core_usage()
    {
        var catalogue = Load("""
            version: 1
            conventions:
              coreFeaturePrefix: "app."
            rules:
              - id: adoption.below_peers
                kind: adoption
                severity: low
                title: t
                condition: {type: below_peers, metric: core_features, window: 28d, ratio: 50}
            """);
        Assert.Equal("app.", catalogue.Conventions.CoreFeaturePrefix);
        var events = new EventFactory();
        var workspace = WorkspaceFactory.New(catalogue: catalogue);
        workspace.Apply(
        [
            events.Active("u1", T0, "app.report_viewed"),
            events.Active("u1", T0, "app.export"),
            events.Active("u2", T0, "app.export"),
            events.Active("u2", T0, "core.report_viewed"), // no longer core usage (but still makes u2 active)
        ], T0);

        var metrics = workspace.Metrics();
        Assert.Equal(3, metrics.CoreEvents28d);
        Assert.Equal(2, metrics.DistinctCoreFeatures28d);
        Assert.Equal(2, metrics.ActiveUsers28d);

        var play = Assert.Single(workspace.SetPeers(new PeerBaseline(5, 5), T0)); // 2 of 5 app.* features: 40%
        Assert.Equal(2, play.Evidence.Value);
    }

    [Fact]
    public void Module_and_signal_conventions_from_the_catalogue_are_used()
    {
        var catalogue = Load("""
            version: 1
            conventions:
              modulePrefix: "mod:"
              escalationEvent: "helpdesk.escalated"
              supportPrefix: "helpdesk."
            rules:
              - id: risk.support_escalation
                kind: churn_risk
                severity: high
                title: t
                condition: {type: event_count, event: helpdesk.escalated, window: 14d, atLeast: 2}
            """);
        var events = new EventFactory();
        var workspace = WorkspaceFactory.New(catalogue: catalogue);
        Assert.Empty(workspace.Apply([events.Event("mod:reports.opened", "u1", T0), events.Escalation(T0), events.Escalation(T0)], T0));
        Assert.Equal(new Dictionary<string, int> { ["reports"] = 1 }, workspace.Metrics().ModuleActiveUsers28d);
        Assert.False(workspace.HasSupportData);

        var play = Assert.Single(workspace.Apply([events.Event("helpdesk.escalated", null, T0), events.Event("helpdesk.escalated", null, T0)], T0));
        Assert.Equal("risk.support_escalation", play.RuleId);
        Assert.True(workspace.HasSupportData);
        Assert.Contains("helpdesk.escalated", catalogue.SignalEvents);
    }

    [Fact]
    public void A_shadow_rule_fires_plays_marked_shadow_and_is_not_a_live_rule()
    {
        var catalogue = Load(OneRule("    shadow: true\n" + LimitCondition));
        Assert.All(catalogue.Rules, r => Assert.True(r.Shadow));
        var workspace = WorkspaceFactory.New(catalogue: catalogue);
        var play = Assert.Single(workspace.Apply([new EventFactory().LimitReached(T0)], T0));
        Assert.True(play.Shadow);
        Assert.False(new PlayQuery().Matches(play));
        Assert.True(new PlayQuery { Shadow = true }.Matches(play));
    }

    [Theory]
    [InlineData("tiers: [1]", 1, "mid-market", true)]
    [InlineData("tiers: [1]", 2, "mid-market", false)]
    [InlineData("tiers: [2, 3]", 3, "mid-market", true)]
    [InlineData("segments: [enterprise]", 1, "mid-market", false)]
    [InlineData("segments: [enterprise]", 1, "enterprise", true)]
    [InlineData("segments: [enterprise]", 1, null, false)]
    public void Tiers_and_segments_restrict_a_rule(string restriction, int tier, string? segment, bool fires)
    {
        var catalogue = Load(OneRule("    " + restriction + "\n" + LimitCondition));
        var profile = WorkspaceFactory.Profile(tier: tier) with { Segment = segment };
        var workspace = WorkspaceFactory.WithProfile(profile, catalogue);
        var plays = workspace.Apply([new EventFactory().LimitReached(T0)], T0);
        Assert.Equal(fires ? 1 : 0, plays.Count);
    }

    [Fact]
    public void An_owner_override_routes_the_play()
    {
        var catalogue = Load(OneRule("    owner: csm\n" + LimitCondition));
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(), catalogue);
        var play = Assert.Single(workspace.Apply([new EventFactory().LimitReached(T0)], T0));
        Assert.Equal(new PlayOwner(OwnerRole.Csm, WorkspaceFactory.CsmName), play.Owner);
        Assert.Equal(PlayKind.Expansion, play.Kind);
    }
}
