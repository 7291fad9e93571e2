using System.Globalization;
using System.Security.Cryptography;
using SignalEngine.Core.Capacity;
using SignalEngine.Core.Events;
using SignalEngine.Grains;

namespace SignalEngine.Server.Hosting;

public enum StorageMode { Memory, Postgres }

/// <summary>
/// The engine's configuration, read from environment variables (SIGNALENGINE_*) or any other ASP.NET Core
/// configuration source under the same keys. Every value is checked at start; a bad one stops the start.
/// </summary>
public sealed record EngineSettings
{
    public required string ApiKey { get; init; }
    public bool ApiKeyGenerated { get; init; }
    public StorageMode Storage { get; init; } = StorageMode.Memory;

    /// <summary>Npgsql connection string of durable mode (SIGNALENGINE_POSTGRES).</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>How often a workspace grain writes its state when it changed: what a crash makes it re-read from the log.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);

    public string ClusterId { get; init; } = "signalengine";

    public WebhookOptions Webhooks { get; init; } = new();
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;

    /// <summary>
    /// How often each log partition is read for delivery when it had nothing new (SIGNALENGINE_DELIVERY_INTERVAL_MS;
    /// default 10 in memory mode, 50 in durable mode). Longer: more events per workspace per delivery (throughput),
    /// at the price of up to one interval of event-to-play latency.
    /// </summary>
    public TimeSpan? DeliveryInterval { get; init; }

    /// <summary>
    /// A workspace that received nothing for this long is deactivated: its state stays in grain storage (a
    /// compressed snapshot) and it is re-activated by its next event or due time (SIGNALENGINE_WORKSPACE_IDLE_MINUTES).
    /// </summary>
    public TimeSpan WorkspaceIdleAfter { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// When the silo gives memory back after its active workspaces shrank (SIGNALENGINE_MEMORY_TRIM_AFTER: how many
    /// must have gone idle, at least half of the peak; 0 turns it off).
    /// </summary>
    public MemoryTrimOptions MemoryTrim { get; init; } = new();

    /// <summary>Ingest partitions (hash of workspace id). Changing it re-maps workspaces to partitions.</summary>
    public int Partitions { get; init; } = 16;
    public long MaxBodyBytes { get; init; } = 4 * 1024 * 1024;
    public int MaxEventsPerRequest { get; init; } = 10_000;

    /// <summary>Events accepted but not yet handed to a partition, across all requests; beyond it the API answers 429.</summary>
    public int MaxPendingEvents { get; init; } = 200_000;
    public EventLimits EventLimits { get; init; } = new();
    public DeduplicationOptions Deduplication { get; init; } = new();

    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static EngineSettings From(IConfiguration configuration)
    {
        var errors = new List<string>();
        var key = configuration["SIGNALENGINE_API_KEY"];
        var generated = string.IsNullOrWhiteSpace(key);
        if (generated) key = "se_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        else if (key!.Length < 16) errors.Add("SIGNALENGINE_API_KEY: must be at least 16 characters");

        var storage = (configuration["SIGNALENGINE_STORAGE"] ?? "memory").Trim().ToLowerInvariant() switch
        {
            "memory" => StorageMode.Memory,
            "postgres" => StorageMode.Postgres,
            var other => Invalid(errors, $"SIGNALENGINE_STORAGE: '{other}' is not 'memory' or 'postgres'", StorageMode.Memory),
        };

        var postgres = configuration["SIGNALENGINE_POSTGRES"];
        if (storage == StorageMode.Postgres && string.IsNullOrWhiteSpace(postgres))
            errors.Add("SIGNALENGINE_POSTGRES: required when SIGNALENGINE_STORAGE=postgres (an Npgsql connection string, e.g. Host=127.0.0.1;Port=5432;Username=signalengine;Password=…;Database=signalengine)");
        else if (!string.IsNullOrWhiteSpace(postgres))
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(postgres);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"SIGNALENGINE_POSTGRES: not a valid connection string: {ex.Message}");
            }
        }

        var defaults = new EventLimits();
        var dedupeDefaults = new DeduplicationOptions();
        var settings = new EngineSettings
        {
            ApiKey = key!,
            ApiKeyGenerated = generated,
            Storage = storage,
            PostgresConnectionString = string.IsNullOrWhiteSpace(postgres) ? null : postgres,
            CheckpointInterval = TimeSpan.FromSeconds(Integer(configuration, errors, "SIGNALENGINE_CHECKPOINT_SECONDS", 5, 1, 3600)),
            ClusterId = string.IsNullOrWhiteSpace(configuration["SIGNALENGINE_CLUSTER_ID"]) ? "signalengine" : configuration["SIGNALENGINE_CLUSTER_ID"]!,
            SiloPort = Integer(configuration, errors, "SIGNALENGINE_SILO_PORT", 11111, 1, 65535),
            GatewayPort = Integer(configuration, errors, "SIGNALENGINE_GATEWAY_PORT", 30000, 1, 65535),
            Partitions = Integer(configuration, errors, "SIGNALENGINE_PARTITIONS", 16, 1, 1024),
            WorkspaceIdleAfter = TimeSpan.FromMinutes(Integer(configuration, errors, "SIGNALENGINE_WORKSPACE_IDLE_MINUTES", 15, 2, 7 * 24 * 60)),
            DeliveryInterval = string.IsNullOrWhiteSpace(configuration["SIGNALENGINE_DELIVERY_INTERVAL_MS"])
                ? null
                : TimeSpan.FromMilliseconds(Integer(configuration, errors, "SIGNALENGINE_DELIVERY_INTERVAL_MS", 10, 1, 10_000)),
            MemoryTrim = new MemoryTrimOptions { MinimumDeactivated = Integer(configuration, errors, "SIGNALENGINE_MEMORY_TRIM_AFTER", new MemoryTrimOptions().MinimumDeactivated, 0, 100_000_000) },
            MaxBodyBytes = Integer(configuration, errors, "SIGNALENGINE_MAX_BODY_BYTES", 4 * 1024 * 1024, 1024, 256 * 1024 * 1024),
            MaxEventsPerRequest = Integer(configuration, errors, "SIGNALENGINE_MAX_EVENTS_PER_REQUEST", 10_000, 1, 1_000_000),
            MaxPendingEvents = Integer(configuration, errors, "SIGNALENGINE_MAX_PENDING_EVENTS", 200_000, 1, 100_000_000),
            EventLimits = defaults with
            {
                Retention = TimeSpan.FromDays(Integer(configuration, errors, "SIGNALENGINE_RETENTION_DAYS", 90, 1, 120)),
                MaxFutureSkew = TimeSpan.FromMinutes(Integer(configuration, errors, "SIGNALENGINE_MAX_FUTURE_SKEW_MINUTES", 60, 0, 7 * 24 * 60)),
            },
            Deduplication = dedupeDefaults with
            {
                Window = TimeSpan.FromHours(Integer(configuration, errors, "SIGNALENGINE_DEDUPE_WINDOW_HOURS", 24, 1, 24 * 7)),
                MaxIdsPerPartition = Integer(configuration, errors, "SIGNALENGINE_DEDUPE_MAX_IDS_PER_PARTITION", dedupeDefaults.MaxIdsPerPartition, 1000, 100_000_000),
            },
        };
        settings = settings with { Webhooks = ReadWebhooks(configuration, errors) };
        if (settings.SiloPort == settings.GatewayPort) errors.Add("SIGNALENGINE_GATEWAY_PORT: must differ from SIGNALENGINE_SILO_PORT");
        if (errors.Count > 0) throw new InvalidConfigurationException(errors);
        return settings;
    }

    /// <summary>SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE ("5s,5m,30m,2h"), SIGNALENGINE_WEBHOOK_TIMEOUT_SECONDS, SIGNALENGINE_WEBHOOK_DISABLE_AFTER_HOURS.</summary>
    private static WebhookOptions ReadWebhooks(IConfiguration configuration, List<string> errors)
    {
        var defaults = new WebhookOptions();
        var schedule = defaults.RetrySchedule;
        if (configuration["SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE"] is { Length: > 0 } text)
        {
            var parsed = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(ParseDuration).ToList();
            if (parsed.Count == 0 || parsed.Any(d => d is null)) errors.Add($"SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE: '{text}' is not a comma-separated list of durations like 5s,5m,2h");
            else schedule = parsed.Select(d => d!.Value).ToList();
        }
        return defaults with
        {
            RetrySchedule = schedule,
            Timeout = TimeSpan.FromSeconds(Integer(configuration, errors, "SIGNALENGINE_WEBHOOK_TIMEOUT_SECONDS", 10, 1, 300)),
            DisableAfter = TimeSpan.FromHours(Integer(configuration, errors, "SIGNALENGINE_WEBHOOK_DISABLE_AFTER_HOURS", 120, 1, 24 * 60)),
        };
    }

    private static TimeSpan? ParseDuration(string text)
    {
        if (text.Length < 2 || !int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return null;
        return text[^1] switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            'd' => TimeSpan.FromDays(amount),
            _ => null,
        };
    }

    private static int Integer(IConfiguration configuration, List<string> errors, string name, int fallback, int min, int max)
    {
        var text = configuration[name];
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"{name}: '{text}' is not a whole number from {min} to {max}");
            return fallback;
        }
        return value;
    }

    private static T Invalid<T>(List<string> errors, string error, T fallback)
    {
        errors.Add(error);
        return fallback;
    }
}

/// <summary>The configuration cannot start the engine; the message lists every problem.</summary>
public sealed class InvalidConfigurationException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
