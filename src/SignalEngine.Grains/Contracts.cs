using Orleans.Concurrency;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
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

/// <summary>
/// A batch of validated events of one workspace, handed on without copying (never mutated after creation).
/// <see cref="LogSeq"/> is the newest event-log position in it: a workspace grain applies each position
/// once, which is what makes redelivery after a crash harmless. A delivered batch may merge several
/// positions of the same workspace (<see cref="Segments"/>: where each position's events start): one
/// delivery carries everything the workspace received in one read of the log.
/// </summary>
[GenerateSerializer, Immutable]
public sealed class EventBatch(UsageEvent[] events, long? logSeq = null, LogSegment[]? segments = null)
{
    [Id(0)] public UsageEvent[] Events { get; } = events;
    [Id(1)] public long? LogSeq { get; } = logSeq;
    [Id(2)] public LogSegment[]? Segments { get; } = segments;

    /// <summary>The events at positions after <paramref name="appliedSeq"/> (all of them when the batch has no position).</summary>
    public ArraySegment<UsageEvent> EventsAfter(long appliedSeq)
    {
        if (LogSeq is not { } newest) return Events;
        if (newest <= appliedSeq) return ArraySegment<UsageEvent>.Empty;
        if (Segments is null) return Events;
        foreach (var segment in Segments)
            if (segment.Seq > appliedSeq) return new ArraySegment<UsageEvent>(Events, segment.Start, Events.Length - segment.Start);
        return ArraySegment<UsageEvent>.Empty;
    }
}

/// <summary>One log position inside a merged <see cref="EventBatch"/>: its events start at index <see cref="Start"/>.</summary>
[GenerateSerializer, Immutable]
public readonly record struct LogSegment([property: Id(0)] long Seq, [property: Id(1)] int Start);

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

/// <summary>The health score of one UTC day.</summary>
[GenerateSerializer, Immutable]
public sealed record HealthDay([property: Id(0)] DateOnly Day, [property: Id(1)] HealthScore Health);

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

    /// <summary>The engine's event-time clock reached <paramref name="engineTime"/>: evaluate time-based rules (silence, deadlines).</summary>
    Task Tick(DateTimeOffset engineTime);

    /// <summary>Daily health for the last <paramref name="days"/> days, oldest first; null if the workspace is unknown.</summary>
    Task<HealthDay[]?> GetHealthHistory(int days);

    /// <summary>The workspace's profile, metrics, health and open plays; null if it has neither a profile nor events.</summary>
    Task<WorkspaceView?> GetView();
}

/// <summary>
/// A play as it entered the feed: a new play or a status change, at a position that only grows. The
/// feed's event id (<see cref="EventId"/>) names it: the play id, or the play id + ".resolved"/".retracted".
/// </summary>
[GenerateSerializer, Immutable]
/// <remarks>
/// A digest (fatigue control) is a change too: <see cref="Digest"/> holds the owner's waiting plays and
/// <see cref="Play"/> the most severe of them, so subscription filters apply to it like to a play.
/// </remarks>
public sealed record PlayChange([property: Id(0)] long Position, [property: Id(1)] Play Play, [property: Id(2)] PlayDigest? Digest = null)
{
    public string EventId => Digest?.Id ?? EventIdOf(Play);

    /// <summary>Pushed to the feed and webhooks: a deliverable play change, or a digest.</summary>
    public bool Delivered => Digest is not null || Play.Deliverable;

    /// <summary>
    /// The id a change is delivered under. Changes that are never delivered (a shadow play, an expansion
    /// play being held) get ids of their own, so they cannot shadow the id a client last saw when it resumes.
    /// </summary>
    public static string EventIdOf(Play play) => play switch
    {
        { Shadow: true } => play.PlayId + ".shadow." + PlayVocabulary.Name(play.Status),
        { HeldBy: not null } => play.PlayId + ".held",
        { DigestOn: not null } => play.PlayId + ".digest." + PlayVocabulary.Name(play.Status),
        { Status: PlayStatus.Resolved } => play.PlayId + ".resolved",
        { Status: PlayStatus.Retracted } => play.PlayId + ".retracted",
        _ => play.PlayId,
    };

    /// <summary>The feed's event type: play, play_resolved or play_retracted.</summary>
    public string EventType => Digest is not null ? "digest" : Play.Status switch
    {
        PlayStatus.Resolved => "play_resolved",
        PlayStatus.Retracted => "play_retracted",
        _ => "play",
    };
}

[GenerateSerializer, Immutable]
public sealed class PlayChangeBatch(PlayChange[] changes)
{
    [Id(0)] public PlayChange[] Changes { get; } = changes;
}

/// <summary>Receives play changes as they are recorded (one observer per silo feeds its live streams).</summary>
public interface IPlayObserver : IGrainObserver
{
    [OneWay]
    Task OnPlayChanges(PlayChangeBatch batch);
}

/// <summary>
/// The record of recent plays: answers queries and fans plays out to the silos' live feeds.
/// Idempotent by play id, so a workspace can re-send after a failure.
/// </summary>
public interface IPlayLedgerGrain : IGrainWithIntegerKey
{
    Task Record(PlayBatch batch);

    Task<Play[]> Query(PlayQuery query);

    Task<Play?> Get(string playId);

    /// <summary>Changes after feed position <paramref name="position"/>, oldest first (at most <paramref name="max"/>): what a reconnecting feed client missed.</summary>
    Task<PlayChange[]> ChangesAfter(long position, int max);

    /// <summary>The feed position of an event id the client last saw; null when it is older than the retention.</summary>
    Task<long?> PositionOf(string eventId);

    /// <summary>The feed's current position (the newest change).</summary>
    Task<long> Head();

    /// <summary>A person's action on a play (acknowledge, snooze, resolve); returns the updated play, or null if unknown.</summary>
    Task<Play?> Act(string playId, PlayAction action);

    /// <summary>Sends the digests that are due at <paramref name="now"/> (fatigue control); returns how many.</summary>
    Task<int> SendDueDigests(DateTimeOffset now);

    Task Subscribe(IPlayObserver observer);

    Task Unsubscribe(IPlayObserver observer);
}

/// <summary>
/// The engine's event-time clock: the newest event time accepted anywhere in the cluster. When no event
/// has arrived for <see cref="EngineClockOptions.IdleAfter"/>, it follows the processing clock, so
/// time-based rules still fire when every product is quiet.
/// </summary>
public interface IEngineClockGrain : IGrainWithIntegerKey
{
    Task<DateTimeOffset?> Advance(DateTimeOffset? observedEventTime);
}

/// <summary>
/// The time wheel: workspaces waiting for a time-based rule are registered in the bucket of their due
/// time (one grain per bucket), so nothing holds a timer or reminder per workspace. The wheel fires every
/// bucket whose end the engine clock has passed.
/// </summary>
public interface ITimeWheelGrain : IGrainWithIntegerKey
{
    /// <summary>Interleaves: a workspace woken by <see cref="Advance"/> may register in a new bucket, which tracks itself here.</summary>
    [AlwaysInterleave]
    Task Track(long bucket);

    /// <summary>Fires the due buckets; returns how many workspaces were woken.</summary>
    Task<int> Advance(DateTimeOffset engineTime);
}

/// <summary>The workspaces due within one time-wheel bucket (key: bucket number = due time / bucket length).</summary>
public interface IDueBucketGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Add and Remove interleave with <see cref="Fire"/>: a workspace the bucket is waking may be moving its
    /// registration at the same moment, and waiting for each other would deadlock.
    /// </summary>
    [AlwaysInterleave]
    Task Add(string workspaceId);

    [AlwaysInterleave]
    Task Remove(string workspaceId);

    Task<int> Fire(DateTimeOffset engineTime);
}

/// <summary>
/// A segment's peer baseline (key: segment name): each workspace's latest value of the peer metric, and
/// their median, kept incrementally in a histogram; no scan of all workspaces.
/// </summary>
public interface ISegmentPeersGrain : IGrainWithStringKey
{
    Task<PeerBaseline> Report(string workspaceId, int value);

    Task Leave(string workspaceId);
}
