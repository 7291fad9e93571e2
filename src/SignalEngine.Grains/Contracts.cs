using Orleans.Concurrency;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains;

/// <summary>Names of the stream providers and stream namespaces the engine uses.</summary>
public static class StreamNames
{
    /// <summary>The stream provider carrying usage events to workspace grains.</summary>
    public const string EventsProvider = "events";

    /// <summary>Stream namespace of per-workspace event streams; the stream key is the workspace id.</summary>
    public const string WorkspaceEvents = "workspace-events";
}

/// <summary>Names of the grain storage providers.</summary>
public static class StorageNames
{
    public const string Workspaces = "workspaces";
}

/// <summary>A batch of validated events, handed on without copying (it is never mutated after creation).</summary>
[GenerateSerializer, Immutable]
public sealed class EventBatch(UsageEvent[] events)
{
    [Id(0)] public UsageEvent[] Events { get; } = events;
}

/// <summary>The partition's answer to an ingest call: which of the events it had already received.</summary>
[GenerateSerializer, Immutable]
public sealed class IngestReceipt(bool[] duplicate)
{
    [Id(0)] public bool[] Duplicate { get; } = duplicate;
}

/// <summary>Everything the query API shows about a workspace.</summary>
[GenerateSerializer, Immutable]
public sealed record WorkspaceView(
    [property: Id(0)] string WorkspaceId,
    [property: Id(1)] WorkspaceProfile? Profile,
    [property: Id(2)] WorkspaceMetrics Metrics,
    [property: Id(3)] HealthScore Health,
    [property: Id(4)] Play[] OpenPlays);

/// <summary>Plays that fired or resolved, in the order they happened.</summary>
[GenerateSerializer, Immutable]
public sealed class PlayBatch(Play[] plays)
{
    [Id(0)] public Play[] Plays { get; } = plays;
}

/// <summary>
/// One ingest partition (hash of the workspace id): remembers recently received event ids so a retried
/// batch is recognised, and hands the new events on to each workspace's stream in one item per workspace.
/// </summary>
public interface IIngestPartitionGrain : IGrainWithIntegerKey
{
    Task<IngestReceipt> Ingest(EventBatch batch);
}

/// <summary>One customer workspace; it consumes its event stream through an implicit subscription.</summary>
public interface IWorkspaceGrain : IGrainWithStringKey
{
    Task SetProfile(WorkspaceProfile profile);

    /// <summary>The workspace's profile, metrics, health and open plays; null if it has neither a profile nor events.</summary>
    Task<WorkspaceView?> GetView();
}

/// <summary>Receives plays as they fire or resolve (one observer per silo feeds its live streams).</summary>
public interface IPlayObserver : IGrainObserver
{
    [OneWay]
    Task OnPlays(PlayBatch batch);
}

/// <summary>
/// The record of recent plays: answers queries and fans plays out to the silos' live feeds.
/// Idempotent by play id, so a workspace can re-send after a failure.
/// </summary>
public interface IPlayLedgerGrain : IGrainWithIntegerKey
{
    Task Record(PlayBatch batch);

    Task<Play[]> Query(PlayQuery query);

    Task Subscribe(IPlayObserver observer);

    Task Unsubscribe(IPlayObserver observer);
}
