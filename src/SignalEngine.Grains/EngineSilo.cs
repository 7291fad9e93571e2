using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
    /// Embedded (memory) mode: memory streams and memory grain storage. Services already registered
    /// (clock, catalogue, options) are kept, so the host or a test can choose them.
    /// </summary>
    public static ISiloBuilder AddSignalEngineMemoryMode(this ISiloBuilder silo)
    {
        AddSignalEngineGrainServices(silo.Services);
        silo.AddMemoryGrainStorage(StorageNames.Workspaces);
        silo.AddMemoryStreams(StreamNames.EventsProvider, streams =>
        {
            // Implicit subscriptions only: no pub-sub grain traffic per workspace stream.
            streams.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
            // Poll the in-memory queues often: event-to-play latency is the product.
            streams.ConfigurePullingAgent(o => o.Configure(p => p.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(10)));
        });
        return silo;
    }

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
        services.TryAddSingleton<IEventLog, MemoryStreamEventLog>();
        services.TryAddSingleton<IPlayStore, MemoryPlayStore>();
        services.TryAddSingleton<IWebhookStore, MemoryWebhookStore>();
        services.TryAddSingleton(new WebhookOptions());
    }
}
