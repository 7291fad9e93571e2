using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Streams;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>Durable mode's settings: the PostgreSQL connection and the number of ingest partitions (log queues).</summary>
public sealed record DurableModeOptions(string ConnectionString, int Partitions)
{
    /// <summary>Poll the log every 50 ms: event-to-play latency in durable mode is a commit plus at most one poll.</summary>
    private static readonly TimeSpan DefaultDeliveryInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>How the log is delivered; its partition count is <see cref="Partitions"/>.</summary>
    public EventLogStreamOptions Streams { get; init; } = new() { PollInterval = DefaultDeliveryInterval };
}

/// <summary>
/// Durable mode on PostgreSQL: ADO.NET clustering and grain storage (Npgsql), the event log with its
/// persistent stream provider, and the play store. The schema must be current (<c>migrate</c>).
/// </summary>
public static class DurableSilo
{
    /// <summary>The ADO.NET invariant name the Orleans providers resolve Npgsql's factory by.</summary>
    public const string Invariant = "Npgsql";

    public static ISiloBuilder AddSignalEngineDurableMode(this ISiloBuilder silo, DurableModeOptions options)
    {
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = options.ConnectionString;
        });
        // Notice dead silos in seconds, not minutes: a killed silo's grains and log partitions move on sooner,
        // and after a restart of every silo the new ones stop waiting on the old rows after ~15 s
        // (an I-am-alive row older than 3 × 5 s counts as dead). Costs one tiny write per silo every 5 s.
        silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o =>
        {
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            o.NumMissedTableIAmAliveLimit = 3;
            o.ProbeTimeout = TimeSpan.FromSeconds(2);
            o.NumMissedProbesLimit = 3;
        });
        return silo.AddSignalEngineDurableStorage(options);
    }

    /// <summary>Everything of durable mode but clustering (test clusters bring their own membership).</summary>
    public static ISiloBuilder AddSignalEngineDurableStorage(this ISiloBuilder silo, DurableModeOptions options)
    {
        var services = silo.Services;
        services.AddSingleton(options);
        services.AddSingleton(_ => NpgsqlDataSource.Create(options.ConnectionString));
        var streamOptions = options.Streams with { Partitions = options.Partitions };
        services.AddSingleton(streamOptions);
        services.AddSingleton(new EventLogRetentionOptions());
        services.AddSingleton<PostgresEventLog>();
        services.AddSingleton<IEventLog>(sp => sp.GetRequiredService<PostgresEventLog>());
        services.AddSingleton<IEventLogReader>(sp => sp.GetRequiredService<PostgresEventLog>());
        services.AddSingleton<IPlayStore, PostgresPlayStore>();
        services.AddSingleton<IWebhookStore, PostgresWebhookStore>();
        EngineSilo.AddSignalEngineGrainServices(services);

        services.AddAdoNetGrainStorage(StorageNames.Workspaces, o => o.Configure<Serializer>((storage, serializer) =>
        {
            storage.Invariant = Invariant;
            storage.ConnectionString = options.ConnectionString;
            // Orleans' binary serializer, not the default JSON: compact, and the state already carries a binary snapshot.
            storage.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        }));
        silo.AddSignalEngineEventStreams(streamOptions);
        return silo;
    }
}
