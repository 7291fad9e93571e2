using System.Globalization;
using System.Text.RegularExpressions;

namespace SignalEngine.LoadTests;

public enum BodyFormat { MessagePack, Json }

/// <summary>Everything a run is configured with; filled by <see cref="LoadOptionsParser"/> and checked by <see cref="Validate"/>.</summary>
public sealed class LoadOptions
{
    public const string DefaultTarget = "http://127.0.0.1:5080";

    public List<Uri> Targets { get; set; } = [new(DefaultTarget)];
    public bool TargetsGiven { get; set; }
    public string? ApiKey { get; set; }
    public int Workspaces { get; set; } = 1000;
    public double UsersPerWorkspace { get; set; } = 25;

    /// <summary>Every workspace has exactly <see cref="UsersPerWorkspace"/> users instead of a log-normal spread.</summary>
    public bool ExactUsers { get; set; }

    /// <summary>Days of history sent before the run: every user of every workspace active once on each of them.</summary>
    public int PopulateDays { get; set; }

    /// <summary>Events per second; null means as fast as the engine acknowledges.</summary>
    public int? Rate { get; set; }
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(60);
    public TimeSpan Warmup { get; set; } = TimeSpan.FromSeconds(5);
    public int Batch { get; set; } = 500;
    public BodyFormat Format { get; set; } = BodyFormat.MessagePack;
    public int Connections { get; set; } = 2 * Environment.ProcessorCount;
    public int Seed { get; set; } = 1;
    public string? JsonPath { get; set; }
    public string? SelfHost { get; set; }
    public bool Verify { get; set; }
    public string? ScenarioPath { get; set; }

    public string? PlotPath { get; set; }

    /// <summary>Events to bulk-load for the SQL baseline instead of a run against an engine; null for a normal run.</summary>
    public long? SqlBaselineEvents { get; set; }

    /// <summary>limit.reached injections (one per workspace); null means one for every workspace.</summary>
    public int? Crossings { get; set; }
    public TimeSpan PlayTimeout { get; set; } = TimeSpan.FromSeconds(15);
    public bool ShowHelp { get; set; }

    public int EffectiveCrossings => Math.Min(Crossings ?? Workspaces, Workspaces);

    public void Validate()
    {
        var errors = new List<string>();
        if (SelfHost is not null && TargetsGiven) errors.Add("--target and --self-host exclude each other: --self-host starts its own engine and targets it");
        if (SelfHost is not null && ApiKey is { Length: < 16 }) errors.Add("API key (--api-key or SIGNALENGINE_API_KEY): the engine needs at least 16 characters");
        if (SelfHost is null && SqlBaselineEvents is null && string.IsNullOrEmpty(ApiKey)) errors.Add("no API key: pass --api-key KEY or set SIGNALENGINE_API_KEY (or use --self-host memory)");
        if (Crossings > Workspaces) errors.Add($"--crossings: {Crossings} is more than --workspaces {Workspaces} (at most one per workspace)");
        if (errors.Count > 0) throw new OptionsException(string.Join("\n", errors));
    }

    /// <summary>The options as the report shows them: every value that shaped the run, never the API key.</summary>
    public IReadOnlyDictionary<string, object?> Describe() => new Dictionary<string, object?>
    {
        ["target"] = SelfHost is null ? Targets.Select(t => t.ToString()).ToArray() : null,
        ["selfHost"] = SelfHost,
        ["workspaces"] = Workspaces,
        ["usersPerWorkspace"] = UsersPerWorkspace,
        ["exactUsers"] = ExactUsers,
        ["populateDays"] = PopulateDays,
        ["rate"] = Rate is { } r ? r : "max",
        ["durationSeconds"] = Duration.TotalSeconds,
        ["warmupSeconds"] = Warmup.TotalSeconds,
        ["batch"] = Batch,
        ["format"] = Format == BodyFormat.Json ? "json" : "msgpack",
        ["connections"] = Connections,
        ["seed"] = Seed,
        ["crossings"] = EffectiveCrossings,
        ["playTimeoutSeconds"] = PlayTimeout.TotalSeconds,
        ["verify"] = Verify,
        ["scenario"] = ScenarioPath,
    };
}

/// <summary>A bad option or scenario file; the message names the option and what is wrong with it.</summary>
public sealed class OptionsException(string message) : Exception(message);

/// <summary>Parses the command line and an optional scenario file (JSON or YAML, same option names; the command line wins).</summary>
public static partial class LoadOptionsParser
{
    private sealed record Option(string Name, string? Value, string Help, Action<LoadOptions, string> Apply)
    {
        public bool IsFlag => Value is null;
    }

    private static readonly Option[] Options =
    [
        new("target", "URL[,URL...]", $"Engine base URL(s); requests go round-robin across them. Default {LoadOptions.DefaultTarget}.", (o, v) =>
        {
            o.Targets = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseTarget).ToList();
            if (o.Targets.Count == 0) throw new OptionsException("--target: no URL given");
            o.TargetsGiven = true;
        }),
        new("api-key", "KEY", "API key sent as 'Authorization: Bearer KEY'. Default: env SIGNALENGINE_API_KEY (generated with --self-host).", (o, v) => o.ApiKey = v),
        new("workspaces", "N", "Workspaces to spread events over. Default 1000.", (o, v) => o.Workspaces = Integer("workspaces", v, 1, 1_000_000)),
        new("users-per-workspace", "N", "Mean users per workspace; sizes follow a log-normal distribution (sigma 1). Default 25.",
            (o, v) => o.UsersPerWorkspace = Number("users-per-workspace", v, 1, 100_000)),
        new("exact-users", null, "Every workspace has exactly --users-per-workspace users (for footprint measurements) instead of a log-normal spread.",
            (o, v) => o.ExactUsers = Flag("exact-users", v)),
        new("populate", "DAYS", "Before the run, send DAYS days of history (oldest first): every user of every workspace active once a day. With --self-host the engine's resident memory is reported after it. Default 0.",
            (o, v) => o.PopulateDays = Integer("populate", v, 0, 60)),
        new("rate", "max|N", "Target events per second (token bucket), or 'max' to send as fast as acknowledged. Default max.",
            (o, v) => o.Rate = v.Equals("max", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var rate) && rate >= 1
                    ? rate
                    : throw new OptionsException($"--rate: '{v}' is not 'max' or a whole number of events per second (1 or more)")),
        new("duration", "TIME", "Measured time after the warm-up, e.g. 60s, 2m, 1m30s. Default 60s.", (o, v) => o.Duration = Time("duration", v, allowZero: false)),
        new("warmup", "TIME", "Time sending before measuring starts (not counted). Default 5s.", (o, v) => o.Warmup = Time("warmup", v, allowZero: true)),
        new("batch", "N", "Events per request. Default 500.", (o, v) => o.Batch = Integer("batch", v, 1, 100_000)),
        new("format", "msgpack|json", "Request body format. Default msgpack.", (o, v) => o.Format = v.ToLowerInvariant() switch
        {
            "msgpack" or "messagepack" => BodyFormat.MessagePack,
            "json" => BodyFormat.Json,
            _ => throw new OptionsException($"--format: '{v}' is not 'msgpack' or 'json'"),
        }),
        new("connections", "N", $"Concurrent senders (and HTTP connections per target). Default 2 x cores = {2 * Environment.ProcessorCount}.",
            (o, v) => o.Connections = Integer("connections", v, 1, 4096)),
        new("seed", "N", "Seed of the workload (workspace sizes, activity, event mix). Default 1.", (o, v) => o.Seed = Integer("seed", v, int.MinValue, int.MaxValue)),
        new("crossings", "N", "limit.reached events injected, one per workspace, spread evenly over the measured time; each should fire one expansion.usage_limit play. Default: one per workspace; 0 turns play latency off.",
            (o, v) => o.Crossings = Integer("crossings", v, 0, 1_000_000)),
        new("play-timeout", "TIME", "How long to wait after sending for plays still missing. Default 15s.", (o, v) => o.PlayTimeout = Time("play-timeout", v, allowZero: true)),
        new("json", "PATH", "Also write a machine-readable report to PATH.", (o, v) => o.JsonPath = v),
        new("plot", "PATH", "Also draw throughput and latency over the run as a PNG chart at PATH.", (o, v) => o.PlotPath = v),
        new("self-host", "memory|postgres", "Start the engine of this repository (dotnet run -c Release) on free loopback ports, run against it, then stop it. 'postgres' also starts a throwaway PostgreSQL (Debian's postgresql package) and migrates it: durable mode.",
            (o, v) => o.SelfHost = v.ToLowerInvariant() is "memory" or "postgres"
                ? v.ToLowerInvariant()
                : throw new OptionsException($"--self-host: '{v}' is not 'memory' or 'postgres'")),
        new("sql-baseline", "N", "Instead of a run: bulk-load N events of the same workload into a throwaway PostgreSQL with COPY and compute the two churn rules by SQL (what a scheduled job does); reports load rate, query times and the best freshness.",
            (o, v) => o.SqlBaselineEvents = Integer("sql-baseline", v, 1000, int.MaxValue)),
        new("verify", null, "After the run, check each workspace's eventsApplied (at most 2000, sampled) against the events acknowledged for it.",
            (o, v) => o.Verify = Flag("verify", v)),
        new("scenario", "PATH", "JSON or YAML file with the same option names (e.g. 'workspaces: 2000'); command-line options override it.",
            (o, v) => o.ScenarioPath = v),
        new("help", null, "Show this help.", (o, v) => o.ShowHelp = Flag("help", v)),
    ];

    public static LoadOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var fromCommandLine = ReadCommandLine(args);
        var options = new LoadOptions();
        if (fromCommandLine.Any(p => p.Option.Name == "help"))
        {
            options.ShowHelp = true;
            return options;
        }
        var scenario = fromCommandLine.LastOrDefault(p => p.Option.Name == "scenario").Value;
        if (scenario is not null)
        {
            foreach (var (key, value) in ScenarioFile.Read(scenario))
            {
                var option = Find(key) ?? throw new OptionsException($"{scenario}: unknown option '{key}'{Suggest(Normalize(key))}");
                try
                {
                    option.Apply(options, value);
                }
                catch (OptionsException ex)
                {
                    throw new OptionsException($"{scenario}: {ex.Message}");
                }
            }
        }
        foreach (var (option, value) in fromCommandLine) option.Apply(options, value);
        options.ApiKey ??= environment("SIGNALENGINE_API_KEY") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        options.Validate();
        return options;
    }

    private static List<(Option Option, string Value)> ReadCommandLine(IReadOnlyList<string> args)
    {
        var pairs = new List<(Option, string)>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-h" or "-?" or "/?") arg = "--help";
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new OptionsException($"unexpected argument '{arg}': options start with -- (e.g. --workspaces 2000)");
            var name = arg[2..];
            string? value = null;
            var equals = name.IndexOf('=');
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            var option = Options.FirstOrDefault(o => o.Name == name)
                ?? throw new OptionsException($"unknown option --{name}{Suggest(name)}");
            if (value is null && !option.IsFlag)
            {
                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                    throw new OptionsException($"--{name}: missing value ({option.Value})");
                value = args[++i];
            }
            pairs.Add((option, value ?? "true"));
        }
        return pairs;
    }

    /// <summary>Scenario keys may be written as on the command line, in camelCase or in snake_case.</summary>
    private static Option? Find(string key)
    {
        var normalized = Normalize(key);
        return Options.FirstOrDefault(o => Normalize(o.Name) == normalized && o.Name is not ("help" or "scenario"));
    }

    private static string Normalize(string name) => name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).ToLowerInvariant();

    private static string Suggest(string name)
    {
        int Closeness(Option o) => Math.Min(Distance(o.Name, name), Distance(Normalize(o.Name), name));
        var best = Options.MinBy(Closeness)!;
        return Closeness(best) <= 3 ? $" (did you mean --{best.Name}?)" : "; see --help";
    }

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }

    private static Uri ParseTarget(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.Query))
            throw new OptionsException($"--target: '{text}' is not an http:// or https:// base URL (e.g. {LoadOptions.DefaultTarget})");
        // Endpoints are resolved relative to the base; keep a path prefix (reverse proxy) by ending it with '/'.
        return uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri + "/");
    }

    private static int Integer(string name, string text, int min, int max)
    {
        if (!long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new OptionsException($"--{name}: '{text}' is not a whole number from {min} to {max}");
        return (int)value;
    }

    private static double Number(string name, string text, double min, double max)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value >= min && value <= max))
            throw new OptionsException($"--{name}: '{text}' is not a number from {min} to {max}");
        return value;
    }

    private static bool Flag(string name, string text) => text.ToLowerInvariant() switch
    {
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        _ => throw new OptionsException($"--{name}: '{text}' is not true or false"),
    };

    [GeneratedRegex(@"\G(\d+(?:\.\d+)?)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex TimePart();

    /// <summary>"90", "90s", "1.5m", "1m30s", "500ms": a bare number is seconds.</summary>
    public static TimeSpan Time(string name, string text, bool allowZero)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        TimeSpan total;
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds))
        {
            total = TimeSpan.FromSeconds(seconds);
        }
        else
        {
            total = TimeSpan.Zero;
            var position = 0;
            foreach (Match match in TimePart().Matches(trimmed))
            {
                var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                total += match.Groups[2].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    _ => TimeSpan.FromHours(amount),
                };
                position = match.Index + match.Length;
            }
            if (position == 0 || position != trimmed.Length)
                throw new OptionsException($"--{name}: '{text}' is not a time such as 30s, 2m, 1m30s or 500ms");
        }
        if (total < TimeSpan.Zero || (!allowZero && total == TimeSpan.Zero) || total > TimeSpan.FromHours(24))
            throw new OptionsException($"--{name}: '{text}' must be {(allowZero ? "from 0" : "more than 0")} up to 24h");
        return total;
    }

    public static string HelpText()
    {
        var lines = new List<string>
        {
            "signalengine-load: drives a SignalEngine with synthetic usage events and measures throughput,",
            "ack latency (request -> 202) and event -> play latency (limit.reached -> expansion.usage_limit on /v1/plays/stream).",
            "",
            "Usage:",
            "  dotnet run -c Release --project loadtests/SignalEngine.LoadTests -- [options]",
            "",
            "Options:",
        };
        foreach (var option in Options)
        {
            var head = "  --" + option.Name + (option.Value is null ? "" : " " + option.Value);
            lines.Add(head.Length < 34 ? head.PadRight(34) + option.Help : head + "\n" + new string(' ', 34) + option.Help);
        }
        lines.AddRange(
        [
            "",
            "Examples:",
            "  # start an engine from this repository, run 20 s, check every count",
            "  ... -- --self-host memory --workspaces 2000 --duration 20s --warmup 3s --verify --json /tmp/load.json",
            "  # a running engine, 50k events/s in JSON",
            "  SIGNALENGINE_API_KEY=... ... -- --target http://127.0.0.1:5080 --rate 50000 --format json",
            "",
            "Exit code: 0 when the run completed and every check passed (all expected plays arrived once,",
            "--verify found no lost or doubled events); 1 when a check failed or the run aborted; 2 for bad options.",
        ]);
        return string.Join('\n', lines);
    }
}
