using System.Globalization;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SignalEngine.Core.Rules;

/// <summary>The catalogue cannot be used; <see cref="Errors"/> lists every problem with file, line, rule and field.</summary>
public sealed class CatalogueException(IReadOnlyList<string> errors)
    : Exception("invalid rule catalogue:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// Reads a rule catalogue from YAML text (the caller reads the file). Every mistake is collected and
/// reported as <c>file:line: rule 'id': field: problem</c>, so RevOps can fix them all in one pass.
/// </summary>
public static class CatalogueLoader
{
    /// <summary>The catalogue that ships with the engine (the defaults of DOMAIN.md).</summary>
    public static string DefaultText()
    {
        using var stream = typeof(CatalogueLoader).Assembly.GetManifestResourceStream("SignalEngine.Core.default-catalogue.yaml")
            ?? throw new InvalidOperationException("the default catalogue is not embedded in SignalEngine.Core");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static (RuleCatalogue Catalogue, HealthModel Health) Load(string yaml, string source)
    {
        var context = new Context(source);
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
                throw new CatalogueException([$"{source}: the catalogue must be a YAML mapping with 'version' and 'rules'"]);
            root = mapping;
        }
        catch (YamlException ex)
        {
            throw new CatalogueException([$"{source}:{ex.Start.Line}: not valid YAML: {ex.Message}"]);
        }

        var top = new Fields(context, root, "", null);
        top.Allow("version", "conventions", "health", "routing", "fatigue", "rules");
        var version = top.Integer("version", required: true);
        if (version is not null and not 1) context.Error(root, null, "version", $"{version} is not supported (expected 1)");
        var conventions = ReadConventions(context, top.Mapping("conventions"));
        var health = ReadHealth(context, top.Mapping("health"));
        var routing = ReadRouting(context, top.Mapping("routing"));
        var fatigue = ReadFatigue(context, top.Mapping("fatigue"));
        var rules = new List<RuleDefinition>();
        if (top.Node("rules") is YamlSequenceNode sequence)
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var node in sequence)
            {
                if (node is not YamlMappingNode ruleNode)
                {
                    context.Error(node, null, $"rules[{index}]", "must be a mapping");
                    index++;
                    continue;
                }
                if (ReadRule(context, ruleNode, index) is { } rule)
                {
                    if (!ids.Add(rule.Id)) context.Error(ruleNode, rule.Id, "id", "is used by another rule");
                    else rules.Add(rule);
                }
                index++;
            }
        }
        else if (top.Node("rules") is { } notSequence) context.Error(notSequence, null, "rules", "must be a list of rules");
        else context.Error(root, null, "rules", "required");

        foreach (var rule in rules.Where(r => r.Condition.LookbackDays > RuleCatalogue.LookbackLimitDays))
            context.Errors.Add($"{source}: rule '{rule.Id}': condition: reads {rule.Condition.LookbackDays} days back; at most {RuleCatalogue.LookbackLimitDays} are kept for re-evaluation");
        if (context.Errors.Count > 0) throw new CatalogueException(context.Errors);
        return (new RuleCatalogue(rules, conventions) { Routing = routing, Fatigue = fatigue }, health);
    }

    private static EventConventions ReadConventions(Context context, YamlMappingNode? node)
    {
        var defaults = new EventConventions();
        if (node is null) return defaults;
        var f = new Fields(context, node, "conventions.", null);
        f.Allow("coreFeaturePrefix", "modulePrefix", "activationEvent", "surveyEvent", "surveyScoreProperty", "supportPrefix", "crmPrefix",
            "sponsorChangedEvent", "escalationEvent", "maxTrackedModules", "maxTrackedCoreFeatures");
        return new EventConventions
        {
            CoreFeaturePrefix = f.Text("coreFeaturePrefix") ?? defaults.CoreFeaturePrefix,
            ModulePrefix = f.Text("modulePrefix") ?? defaults.ModulePrefix,
            ActivationEvent = f.Text("activationEvent") ?? defaults.ActivationEvent,
            SurveyEvent = f.Text("surveyEvent") ?? defaults.SurveyEvent,
            SurveyScoreProperty = f.Text("surveyScoreProperty") ?? defaults.SurveyScoreProperty,
            SupportPrefix = f.Text("supportPrefix") ?? defaults.SupportPrefix,
            CrmPrefix = f.Text("crmPrefix") ?? defaults.CrmPrefix,
            SponsorChangedEvent = f.Text("sponsorChangedEvent") ?? defaults.SponsorChangedEvent,
            EscalationEvent = f.Text("escalationEvent") ?? defaults.EscalationEvent,
            MaxTrackedModules = f.Integer("maxTrackedModules", min: 1, max: 1024) ?? defaults.MaxTrackedModules,
            MaxTrackedCoreFeatures = f.Integer("maxTrackedCoreFeatures", min: 1, max: 4096) ?? defaults.MaxTrackedCoreFeatures,
        };
    }

    private static RoutingPolicy ReadRouting(Context context, YamlMappingNode? node)
    {
        var defaults = RoutingPolicy.Default;
        if (node is null) return defaults;
        var f = new Fields(context, node, "routing.", null);
        f.Allow("digitalTiers", "digitalChannel", "byKind");
        var roles = new Dictionary<PlayKind, OwnerRole>(defaults.RoleByKind);
        if (f.Mapping("byKind") is { } byKind)
        {
            var k = new Fields(context, byKind, "routing.byKind.", null);
            k.Allow("churn_risk", "expansion", "onboarding", "adoption");
            foreach (var (name, kind) in new[] { ("churn_risk", PlayKind.ChurnRisk), ("expansion", PlayKind.Expansion), ("onboarding", PlayKind.Onboarding), ("adoption", PlayKind.Adoption) })
                if (k.Choice<OwnerRole>(name, required: false, ("csm", OwnerRole.Csm), ("account_manager", OwnerRole.AccountManager), ("digital", OwnerRole.Digital)) is { } role)
                    roles[kind] = role;
        }
        return new RoutingPolicy
        {
            DigitalTiers = f.Node("digitalTiers") is null ? defaults.DigitalTiers : f.Integers("digitalTiers", 1, 3).ToHashSet(),
            DigitalChannel = f.Text("digitalChannel") ?? defaults.DigitalChannel,
            RoleByKind = roles,
        };
    }

    private static FatiguePolicy ReadFatigue(Context context, YamlMappingNode? node)
    {
        if (node is null) return FatiguePolicy.Off;
        var f = new Fields(context, node, "fatigue.", null);
        f.Allow("maxPlaysPerOwnerPerDay", "alwaysDeliver", "digestHourUtc");
        var always = new HashSet<Severity>();
        foreach (var name in f.Texts("alwaysDeliver"))
        {
            if (name is "low" or "medium" or "high" or "critical") always.Add(Enum.Parse<Severity>(name, ignoreCase: true));
            else context.Error(f.Node("alwaysDeliver")!, null, "fatigue.alwaysDeliver", $"'{name}' is not one of low, medium, high, critical");
        }
        return new FatiguePolicy
        {
            MaxPlaysPerOwnerPerDay = f.Integer("maxPlaysPerOwnerPerDay", min: 0, max: 10_000) ?? 0,
            AlwaysDeliver = f.Node("alwaysDeliver") is null ? FatiguePolicy.Off.AlwaysDeliver : always,
            DigestHourUtc = f.Integer("digestHourUtc", min: 0, max: 23) ?? 17,
        };
    }

    private static HealthModel ReadHealth(Context context, YamlMappingNode? node)
    {
        var defaults = HealthModel.Default;
        if (node is null) return defaults;
        var f = new Fields(context, node, "health.", null);
        f.Allow("weights", "bands");
        var weights = new Dictionary<string, double>(defaults.Weights);
        if (f.Mapping("weights") is { } weightNode)
        {
            var w = new Fields(context, weightNode, "health.weights.", null);
            w.Allow([.. HealthModel.FactorNames]);
            foreach (var factor in HealthModel.FactorNames)
                if (w.Number(factor, min: 0, max: 1000) is { } value) weights[factor] = value;
            if (weights.Values.Sum() <= 0) context.Error(weightNode, null, "health.weights", "at least one weight must be above 0");
        }
        var green = defaults.GreenFrom;
        var yellow = defaults.YellowFrom;
        if (f.Mapping("bands") is { } bandNode)
        {
            var b = new Fields(context, bandNode, "health.bands.", null);
            b.Allow("green", "yellow");
            green = b.Integer("green", min: 1, max: 100) ?? green;
            yellow = b.Integer("yellow", min: 0, max: 100) ?? yellow;
            if (yellow >= green) context.Error(bandNode, null, "health.bands.yellow", $"{yellow} must be below green ({green})");
        }
        return defaults with { Weights = weights, GreenFrom = green, YellowFrom = yellow };
    }

    private static RuleDefinition? ReadRule(Context context, YamlMappingNode node, int index)
    {
        var id = (node.Children.TryGetValue(new YamlScalarNode("id"), out var idNode) ? (idNode as YamlScalarNode)?.Value : null);
        var label = id ?? $"#{index + 1}";
        var f = new Fields(context, node, "", label);
        f.Allow("id", "kind", "severity", "title", "condition", "for", "keepFiringFor", "cooldown", "owner", "tiers", "segments", "shadow");
        var errorsBefore = context.Errors.Count;
        var ruleId = f.Text("id", required: true);
        if (ruleId is not null && Events.EventValidator.Identifier("id", ruleId, 128, required: true) is { } idError) context.Error(node, label, "id", idError["id: ".Length..]);
        var kind = f.Choice("kind", required: true, ("churn_risk", PlayKind.ChurnRisk), ("expansion", PlayKind.Expansion), ("onboarding", PlayKind.Onboarding), ("adoption", PlayKind.Adoption));
        var severity = f.Choice("severity", required: true, ("low", Severity.Low), ("medium", Severity.Medium), ("high", Severity.High), ("critical", Severity.Critical));
        var title = f.Text("title", required: true);
        var owner = f.Choice<OwnerRole>("owner", required: false, ("csm", OwnerRole.Csm), ("account_manager", OwnerRole.AccountManager), ("digital", OwnerRole.Digital));
        var tiers = f.Integers("tiers", min: 1, max: 3);
        var segments = f.Texts("segments");
        var condition = f.Mapping("condition", required: true) is { } conditionNode ? ReadCondition(context, conditionNode, label) : null;
        var rule = new RuleDefinition
        {
            Id = ruleId ?? "",
            Kind = kind ?? default,
            Severity = severity ?? default,
            Title = title ?? "",
            Condition = condition!,
            For = f.Duration("for") ?? TimeSpan.Zero,
            KeepFiringFor = f.Duration("keepFiringFor") ?? TimeSpan.Zero,
            Cooldown = f.Duration("cooldown") ?? TimeSpan.Zero,
            OwnerRole = owner,
            Tiers = tiers.ToHashSet(),
            Segments = segments.ToHashSet(StringComparer.Ordinal),
            Shadow = f.Boolean("shadow") ?? false,
        };
        return context.Errors.Count == errorsBefore ? rule : null;
    }

    private static RuleCondition? ReadCondition(Context context, YamlMappingNode node, string rule)
    {
        var f = new Fields(context, node, "condition.", rule);
        var type = f.Text("type", required: true);
        switch (type)
        {
            case null:
                return null;
            case "change":
                f.Allow("type", "metric", "window", "direction", "threshold", "minimumBaseline", "recovery");
                var metric = f.Choice("metric", required: true, ("active_users", UsageMetric.ActiveUsers), ("core_events", UsageMetric.CoreEvents), ("core_features", UsageMetric.CoreFeatures));
                var window = f.Days("window", required: true, max: 63);
                var direction = f.Choice("direction", required: true, ("drop", ChangeDirection.Drop), ("growth", ChangeDirection.Growth));
                var threshold = f.Number("threshold", required: true, min: 0.01, max: direction == ChangeDirection.Drop ? 100 : 100_000);
                var baseline = f.Number("minimumBaseline", min: 0, max: 1e12) ?? 1;
                var recovery = f.Number("recovery", min: 0, max: 100_000);
                if (recovery > threshold) context.Error(node, rule, "condition.recovery", $"{recovery} must not exceed the threshold ({threshold}) — it is where the episode ends");
                return metric is null || window is null || direction is null || threshold is null ? null
                    : new ChangeCondition(metric.Value, window.Value, direction.Value, threshold.Value, baseline, recovery);
            case "ratio_to_limit":
                f.Allow("type", "metric", "limit", "window", "threshold", "recovery");
                f.Choice("metric", required: true, ("active_users", UsageMetric.ActiveUsers));
                f.Choice("limit", required: true, ("seats_purchased", true));
                var seatWindow = f.Days("window", required: true, max: 128);
                var seatThreshold = f.Number("threshold", required: true, min: 0.01, max: 1000);
                var seatRecovery = f.Number("recovery", min: 0, max: 1000);
                if (seatRecovery > seatThreshold) context.Error(node, rule, "condition.recovery", $"{seatRecovery} must not exceed the threshold ({seatThreshold})");
                return seatWindow is null || seatThreshold is null ? null : new SeatRatioCondition(seatWindow.Value, seatThreshold.Value, seatRecovery);
            case "cohort_share":
                f.Allow("type", "window", "threshold", "recovery");
                var cohortWindow = f.Days("window", required: true, max: 128);
                var cohortThreshold = f.Number("threshold", required: true, min: 0.01, max: 100);
                var cohortRecovery = f.Number("recovery", min: 0, max: 100);
                if (cohortRecovery > cohortThreshold) context.Error(node, rule, "condition.recovery", $"{cohortRecovery} must not exceed the threshold ({cohortThreshold})");
                return cohortWindow is null || cohortThreshold is null ? null : new CohortShareCondition(cohortWindow.Value, cohortThreshold.Value, cohortRecovery);
            case "event_count":
                f.Allow("type", "event", "window", "atLeast");
                var eventName = f.Text("event", required: true);
                var countWindow = f.Days("window", required: true, max: 128);
                var atLeast = f.Integer("atLeast", required: true, min: 1, max: 1_000_000);
                return eventName is null || countWindow is null || atLeast is null ? null : new SignalCountCondition(eventName, countWindow.Value, atLeast.Value);
            case "absence":
                f.Allow("type", "days");
                var days = f.Integer("days", required: true, min: 1, max: 120);
                return days is null ? null : new AbsenceCondition(days.Value);
            case "deadline":
                f.Allow("type", "days", "relevantForDays");
                var deadline = f.Integer("days", required: true, min: 1, max: 3650);
                var relevant = f.Integer("relevantForDays", min: 1, max: 3650) ?? (deadline ?? 0) + 30;
                if (relevant < deadline) context.Error(node, rule, "condition.relevantForDays", $"{relevant} must be at least days ({deadline})");
                return deadline is null ? null : new DeadlineCondition(deadline.Value, relevant);
            case "anomaly":
                f.Allow("type", "zThreshold", "recoveryZ", "minWeeks", "maxWeeks");
                var z = f.Number("zThreshold", required: true, min: -100, max: -0.01);
                var recoveryZ = f.Number("recoveryZ", min: -100, max: 0) ?? (z ?? 0) / 2;
                var minWeeks = f.Integer("minWeeks", min: 2, max: 17) ?? 4;
                var maxWeeks = f.Integer("maxWeeks", min: 2, max: 17) ?? 8;
                if (recoveryZ < z) context.Error(node, rule, "condition.recoveryZ", $"{recoveryZ} must be above zThreshold ({z})");
                if (maxWeeks < minWeeks) context.Error(node, rule, "condition.maxWeeks", $"{maxWeeks} must be at least minWeeks ({minWeeks})");
                return z is null ? null : new AnomalyCondition(z.Value, recoveryZ, minWeeks, maxWeeks);
            case "below_peers":
                f.Allow("type", "metric", "window", "ratio", "minimumPeers", "recovery");
                f.Choice("metric", required: true, ("core_features", UsageMetric.CoreFeatures));
                var peerWindow = f.Days("window", required: true, max: 128);
                var ratio = f.Number("ratio", required: true, min: 0.01, max: 100);
                var minimumPeers = f.Integer("minimumPeers", min: 1, max: 1_000_000) ?? 5;
                var peerRecovery = f.Number("recovery", min: 0, max: 1000);
                if (peerRecovery < ratio) context.Error(node, rule, "condition.recovery", $"{peerRecovery} must be at least the ratio ({ratio}) — it is where the episode ends");
                return peerWindow is null || ratio is null ? null : new BelowPeersCondition(peerWindow.Value, ratio.Value, minimumPeers, peerRecovery);
            default:
                context.Error(node, rule, "condition.type", $"'{type}' is not one of change, ratio_to_limit, cohort_share, event_count, absence, deadline, anomaly, below_peers");
                return null;
        }
    }

    private sealed class Context(string source)
    {
        public List<string> Errors { get; } = [];

        public void Error(YamlNode node, string? rule, string field, string problem) =>
            Errors.Add($"{source}:{node.Start.Line}: {(rule is null ? "" : $"rule '{rule}': ")}{field}: {problem}");
    }

    /// <summary>Typed access to one mapping's fields, recording a precise error for each wrong one.</summary>
    private sealed class Fields(Context context, YamlMappingNode node, string prefix, string? rule)
    {
        public void Allow(params string[] names)
        {
            foreach (var key in node.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (!names.Contains(name, StringComparer.Ordinal))
                    context.Error(key, rule, prefix + name, $"unknown field (allowed: {string.Join(", ", names)})");
            }
        }

        public YamlNode? Node(string name) => node.Children.TryGetValue(new YamlScalarNode(name), out var value) ? value : null;

        private YamlScalarNode? Scalar(string name, bool required)
        {
            var value = Node(name);
            if (value is null || (value is YamlScalarNode { Value: null or "" or "~" } && value is YamlScalarNode { Style: not ScalarStyle.DoubleQuoted and not ScalarStyle.SingleQuoted }))
            {
                if (required) context.Error(value ?? node, rule, prefix + name, "required");
                return null;
            }
            if (value is YamlScalarNode scalar) return scalar;
            context.Error(value, rule, prefix + name, "must be a single value");
            return null;
        }

        public YamlMappingNode? Mapping(string name, bool required = false)
        {
            var value = Node(name);
            if (value is YamlMappingNode mapping) return mapping;
            if (value is not null) context.Error(value, rule, prefix + name, "must be a mapping");
            else if (required) context.Error(node, rule, prefix + name, "required");
            return null;
        }

        public string? Text(string name, bool required = false)
        {
            var scalar = Scalar(name, required);
            if (scalar?.Value is { Length: > 0 } text) return text;
            if (scalar is not null) context.Error(scalar, rule, prefix + name, "must not be empty");
            return null;
        }

        public double? Number(string name, bool required = false, double min = double.MinValue, double max = double.MaxValue)
        {
            var scalar = Scalar(name, required);
            if (scalar is null) return null;
            if (!double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                context.Error(scalar, rule, prefix + name, $"'{scalar.Value}' is not a number");
                return null;
            }
            if (value < min || value > max)
            {
                context.Error(scalar, rule, prefix + name, $"{scalar.Value} is out of range ({Show(min)} to {Show(max)})");
                return null;
            }
            return value;
        }

        public int? Integer(string name, bool required = false, int min = int.MinValue, int max = int.MaxValue)
        {
            var scalar = Scalar(name, required);
            if (scalar is null) return null;
            if (!int.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                context.Error(scalar, rule, prefix + name, $"'{scalar.Value}' is not a whole number");
                return null;
            }
            if (value < min || value > max)
            {
                context.Error(scalar, rule, prefix + name, $"{value} is out of range ({min} to {max})");
                return null;
            }
            return value;
        }

        public bool? Boolean(string name)
        {
            var scalar = Scalar(name, required: false);
            if (scalar is null) return null;
            if (bool.TryParse(scalar.Value, out var value)) return value;
            context.Error(scalar, rule, prefix + name, $"'{scalar.Value}' is not true or false");
            return null;
        }

        public T? Choice<T>(string name, bool required, params (string Name, T Value)[] choices) where T : struct
        {
            var text = Text(name, required);
            if (text is null) return null;
            foreach (var (choiceName, value) in choices)
                if (choiceName == text) return value;
            context.Error(Node(name)!, rule, prefix + name, $"'{text}' is not one of {string.Join(", ", choices.Select(c => c.Name))}");
            return null;
        }

        /// <summary>A whole number of days written as <c>21d</c> (or a plain number of days).</summary>
        public int? Days(string name, bool required, int max)
        {
            var scalar = Scalar(name, required);
            if (scalar is null) return null;
            var text = scalar.Value!;
            var digits = text.EndsWith('d') ? text[..^1] : text;
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var days) || days < 1 || days > max)
            {
                context.Error(scalar, rule, prefix + name, $"'{text}' is not a number of days from 1d to {max}d");
                return null;
            }
            return days;
        }

        /// <summary>A duration written as <c>30m</c>, <c>12h</c> or <c>7d</c>; <c>0</c> for none.</summary>
        public TimeSpan? Duration(string name)
        {
            var scalar = Scalar(name, required: false);
            if (scalar is null) return null;
            var text = scalar.Value!;
            if (text == "0") return TimeSpan.Zero;
            if (text.Length >= 2 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount <= 3650 * 24 * 60)
            {
                switch (text[^1])
                {
                    case 'm': return TimeSpan.FromMinutes(amount);
                    case 'h': return TimeSpan.FromHours(amount);
                    case 'd': return TimeSpan.FromDays(amount);
                }
            }
            context.Error(scalar, rule, prefix + name, $"'{text}' is not a duration like 30m, 12h or 7d");
            return null;
        }

        public List<int> Integers(string name, int min, int max)
        {
            var result = new List<int>();
            if (Node(name) is not { } value) return result;
            if (value is not YamlSequenceNode sequence)
            {
                context.Error(value, rule, prefix + name, "must be a list");
                return result;
            }
            foreach (var item in sequence)
            {
                if (item is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max)
                    result.Add(number);
                else context.Error(item, rule, prefix + name, $"'{(item as YamlScalarNode)?.Value}' is not a whole number from {min} to {max}");
            }
            return result;
        }

        public List<string> Texts(string name)
        {
            var result = new List<string>();
            if (Node(name) is not { } value) return result;
            if (value is not YamlSequenceNode sequence)
            {
                context.Error(value, rule, prefix + name, "must be a list");
                return result;
            }
            foreach (var item in sequence)
            {
                if (item is YamlScalarNode { Value: { Length: > 0 } text }) result.Add(text);
                else context.Error(item, rule, prefix + name, "entries must be non-empty text");
            }
            return result;
        }

        private static string Show(double value) => value is double.MinValue or double.MaxValue ? "any" : value.ToString(CultureInfo.InvariantCulture);
    }
}
