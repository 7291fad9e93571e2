using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains;

/// <summary>
/// The single writer of one ingest partition. De-duplicates by (workspace, event id) within a bounded
/// window, then appends the new events to the event log, grouped by workspace. An id is remembered only
/// once the log took its event, so a failed hand-off is retried rather than taken for a duplicate. In
/// durable mode the window is rebuilt from the log when the grain activates (after a crash or a move).
/// </summary>
public sealed class IngestPartitionGrain(
    DeduplicationOptions deduplication,
    IEventLog log,
    [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock,
    ILogger<IngestPartitionGrain> logger)
    : Grain, IIngestPartitionGrain
{
    private readonly EventIdWindow _window = new(deduplication);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var partition = (int)this.GetPrimaryKeyLong();
        var now = clock.GetUtcNow();
        var recent = new List<(string WorkspaceId, string EventId, DateTimeOffset ReceivedAt)>();
        await foreach (var id in log.RecentEventIdsAsync(partition, now - deduplication.Window, deduplication.MaxIdsPerPartition).WithCancellation(cancellationToken))
            recent.Add(id);
        // Oldest first, so the window's expiry order matches the original one.
        for (var i = recent.Count - 1; i >= 0; i--) _window.TryAdd(recent[i].WorkspaceId, recent[i].EventId, recent[i].ReceivedAt);
        if (recent.Count > 0) logger.LogInformation("Partition {Partition} rebuilt its de-duplication window with {Count} ids", partition, recent.Count);
    }

    public async Task<IngestReceipt> Ingest(EventBatch batch)
    {
        var events = batch.Events;
        var duplicate = new bool[events.Length];
        var now = clock.GetUtcNow();
        var byWorkspace = new Dictionary<string, List<UsageEvent>>(StringComparer.Ordinal);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            if (!_window.TryAdd(e.WorkspaceId, e.EventId, now))
            {
                duplicate[i] = true;
                continue;
            }
            if (!byWorkspace.TryGetValue(e.WorkspaceId, out var accepted)) byWorkspace[e.WorkspaceId] = accepted = [];
            accepted.Add(e);
        }
        if (byWorkspace.Count == 0) return new IngestReceipt(duplicate);

        var groups = new List<(string WorkspaceId, UsageEvent[] Events)>(byWorkspace.Count);
        foreach (var (workspace, accepted) in byWorkspace) groups.Add((workspace, [.. accepted]));
        IReadOnlyCollection<string> failed;
        try
        {
            failed = await log.AppendAsync((int)this.GetPrimaryKeyLong(), groups);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "The event log did not take {Count} events", groups.Sum(g => g.Events.Length));
            failed = byWorkspace.Keys;
        }
        if (failed.Count > 0)
        {
            foreach (var workspace in failed)
                foreach (var e in byWorkspace[workspace]) _window.Forget(e.WorkspaceId, e.EventId);
            throw new IngestUnavailableException($"{failed.Count} of {byWorkspace.Count} workspaces could not take their events; retry the batch");
        }
        return new IngestReceipt(duplicate);
    }
}

/// <summary>The engine could not take the events right now; the caller should retry (HTTP 503).</summary>
[GenerateSerializer]
public sealed class IngestUnavailableException : Exception
{
    public IngestUnavailableException() { }

    public IngestUnavailableException(string message) : base(message) { }

    public IngestUnavailableException(string message, Exception inner) : base(message, inner) { }
}
