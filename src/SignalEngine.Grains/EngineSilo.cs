using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Streams;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Rules;
using SignalEngine.Grains.Serialization;

namespace SignalEngine.Grains;

/// <summary>Everything a silo needs to host SignalEngine's grains; the server and the grain tests share it.</summary>
public static class EngineSilo
{
    /// <summary>
    /// Service key of the clock SignalEngine reads (processing time). Keyed, so tests can give the engine a
    /// fake clock without handing it to the Orleans runtime, whose own timers need real time.
    /// </summary>
    public const string Clock = "signalengine.clock";

    /// <summary>
    /// Embedded (memory) mode: the event log in memory (one grain per partition), delivered by the same
    /// stream provider as durable mode, and memory grain storage. Services already registered (clock,
    /// catalogue, options) are kept, so the host or a test can choose them.
    /// </summary>
    public static ISiloBuilder AddSignalEngineMemoryMode(this ISiloBuilder silo, EventLogStreamOptions? streams = null)
    {
        var services = silo.Services;
        // Delivered positions are dropped at once: memory mode keeps nothing to recover from.
        var streamOptions = (streams ?? new EventLogStreamOptions()) with { CursorWriteInterval = TimeSpan.Zero };
        services.TryAddSingleton(streamOptions);
        services.TryAddSingleton(new MemoryLogOptions());
        services.TryAddSingleton<MemoryEventLog>();
        services.TryAddSingleton<IEventLog>(sp => sp.GetRequiredService<MemoryEventLog>());
        services.TryAddSingleton<IEventLogReader>(sp => sp.GetRequiredService<MemoryEventLog>());
        AddSignalEngineGrainServices(services);
        // Orleans' binary serializer rather than the default JSON (which would base64 the snapshot): memory
        // storage is where an idle, deactivated workspace lives in memory mode, so its size is the footprint.
        silo.AddMemoryGrainStorage(StorageNames.Workspaces, (OptionsBuilder<Orleans.Configuration.MemoryGrainStorageOptions> o) =>
            o.Configure<Serializer>((storage, serializer) => storage.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer)));
        silo.AddSignalEngineEventStreams(streamOptions);
        return silo;
    }

    /// <summary>The stream provider that delivers the event log (whichever <see cref="IEventLogReader"/> is registered) to the workspace grains.</summary>
    public static ISiloBuilder AddSignalEngineEventStreams(this ISiloBuilder silo, EventLogStreamOptions options) =>
        silo.AddPersistentStreams(StreamNames.EventsProvider, EventLogQueueAdapterFactory.Create, streams =>
        {
            // Implicit subscriptions only: no pub-sub grain traffic per workspace stream.
            streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            streams.ConfigurePullingAgent(o => o.Configure(p =>
            {
                p.GetQueueMsgsTimerPeriod = options.PollInterval;
                p.StreamInactivityPeriod = options.StreamIdleAfter;
                // One container per delivery (a workspace's merged read): the partition cache's cursors hold one
                // container each, which is what keeps a container being delivered from being purged.
                p.BatchContainerBatchSize = 1;
            }));
        });

    /// <summary>The services every mode needs; what is already registered (clock, catalogue, log, store) is kept.</summary>
    public static void AddSignalEngineGrainServices(IServiceCollection services)
    {
        services.AddSerializer(s => s.AddSignalEngineTypes());
        services.TryAddKeyedSingleton(Clock, TimeProvider.System);
        services.TryAddSingleton(RuleCatalogue.Default);
        services.TryAddSingleton(RuleCatalogue.DefaultHealth);
        services.TryAddSingleton(new EngineClockOptions());
        services.TryAddSingleton(new DeduplicationOptions());
        services.TryAddSingleton(new WorkspaceGrainOptions());
        services.TryAddSingleton(new PlayLedgerOptions());
        services.TryAddSingleton<IPlayStore, MemoryPlayStore>();
        services.TryAddSingleton<IWebhookStore, MemoryWebhookStore>();
        services.TryAddSingleton(new WebhookOptions());
        services.TryAddSingleton<ActiveWorkspaces>();
        services.TryAddSingleton(new WorkspaceMemoryTrimOptions());
        services.TryAddSingleton<WorkspaceMemoryTrimmer>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkspaceMemoryTrimmer>());
    }
}
