using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Streams;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres;

/// <summary>Durable mode's settings: the PostgreSQL connection and the number of ingest partitions (log queues).</summary>
public sealed record DurableModeOptions(string ConnectionString, int Partitions);

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
        DbProviderFactories.RegisterFactory(Invariant, NpgsqlFactory.Instance);
        var services = silo.Services;
        services.AddSingleton(options);
        services.AddSingleton(_ => NpgsqlDataSource.Create(options.ConnectionString));
        services.AddSingleton(new EventLogStreamOptions());
        services.AddSingleton<IEventLog, PostgresEventLog>();
        services.AddSingleton<IPlayStore, PostgresPlayStore>();
        EngineSilo.AddSignalEngineGrainServices(services);

        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = options.ConnectionString;
        });
        silo.AddAdoNetGrainStorage(StorageNames.Workspaces, o =>
        {
            o.Invariant = Invariant;
            o.ConnectionString = options.ConnectionString;
        });
        silo.AddPersistentStreams(StreamNames.EventsProvider, EventLogQueueAdapterFactory.Create, streams =>
        {
            streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            // Poll the log every 50 ms: event-to-play latency in durable mode is a commit plus at most one poll.
            streams.ConfigurePullingAgent(o => o.Configure(p => p.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(50)));
        });
        return silo;
    }
}
