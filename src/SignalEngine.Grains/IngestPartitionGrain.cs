using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains;

/// <summary>
/// The single writer of one ingest partition. De-duplicates by (workspace, event id) within a bounded
/// window, then produces one stream item per workspace. An event is only remembered once its stream
/// accepted it, so a failed hand-off can be retried without being taken for a duplicate.
/// </summary>
public sealed class IngestPartitionGrain(DeduplicationOptions deduplication, [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock, ILogger<IngestPartitionGrain> logger)
    : Grain, IIngestPartitionGrain
{
    private readonly EventIdWindow _window = new(deduplication);
    private IStreamProvider? _streams;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _streams = this.GetStreamProvider(StreamNames.EventsProvider);
        return Task.CompletedTask;
    }

    public async Task<IngestReceipt> Ingest(EventBatch batch)
    {
        var events = batch.Events;
        var duplicate = new bool[events.Length];
        var now = clock.GetUtcNow();
        var byWorkspace = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            if (!_window.TryAdd(e.WorkspaceId, e.EventId, now))
            {
                duplicate[i] = true;
                continue;
            }
            if (!byWorkspace.TryGetValue(e.WorkspaceId, out var indexes)) byWorkspace[e.WorkspaceId] = indexes = [];
            indexes.Add(i);
        }

        var handOffs = byWorkspace.Select(async group =>
        {
            var stream = _streams!.GetStream<EventBatch>(StreamId.Create(StreamNames.WorkspaceEvents, group.Key));
            try
            {
                await stream.OnNextAsync(new EventBatch(group.Value.Select(i => events[i]).ToArray()));
                return null;
            }
            catch (Exception ex)
            {
                foreach (var i in group.Value) _window.Forget(events[i].WorkspaceId, events[i].EventId);
                logger.LogWarning(ex, "Could not hand {Count} events on to workspace {WorkspaceId}", group.Value.Count, group.Key);
                return ex;
            }
        }).ToList();
        var failures = (await Task.WhenAll(handOffs)).OfType<Exception>().ToList();
        if (failures.Count > 0)
            throw new IngestUnavailableException($"{failures.Count} of {byWorkspace.Count} workspaces could not take their events; retry the batch", failures[0]);
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
