using Orleans.Streams;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains;

/// <summary>
/// Where an ingest partition hands its new events, grouped by workspace. Memory mode hands them to
/// Orleans memory streams; durable mode commits them to the PostgreSQL log (one transaction per call),
/// from which a persistent stream provider delivers them. The HTTP 202 waits for this call.
/// </summary>
public interface IEventLog
{
    /// <summary>Appends one group of events per workspace; returns the workspaces whose events could not be taken.</summary>
    Task<IReadOnlyCollection<string>> AppendAsync(int partition, IReadOnlyList<(string WorkspaceId, UsageEvent[] Events)> groups);

    /// <summary>Event ids the partition received recently (newest first, at most <paramref name="max"/>), to rebuild its de-duplication window after a restart.</summary>
    IAsyncEnumerable<(string WorkspaceId, string EventId, DateTimeOffset ReceivedAt)> RecentEventIdsAsync(int partition, DateTimeOffset since, int max);

    /// <summary>A workspace's committed batches after log position <paramref name="afterSeq"/>, oldest first: what it may have lost in a crash.</summary>
    IAsyncEnumerable<EventBatch> ReadWorkspaceAsync(string workspaceId, long afterSeq);
}

/// <summary>Memory mode: events go to Orleans memory streams; nothing is kept to recover from.</summary>
public sealed class MemoryStreamEventLog(IClusterClient client) : IEventLog
{
    public async Task<IReadOnlyCollection<string>> AppendAsync(int partition, IReadOnlyList<(string WorkspaceId, UsageEvent[] Events)> groups)
    {
        var streams = client.GetStreamProvider(StreamNames.EventsProvider);
        var failed = new List<string>();
        await Task.WhenAll(groups.Select(async group =>
        {
            try
            {
                await streams.GetStream<EventBatch>(StreamId.Create(StreamNames.WorkspaceEvents, group.WorkspaceId)).OnNextAsync(new EventBatch(group.Events));
            }
            catch (Exception)
            {
                lock (failed) failed.Add(group.WorkspaceId);
            }
        }));
        return failed;
    }

    public IAsyncEnumerable<(string WorkspaceId, string EventId, DateTimeOffset ReceivedAt)> RecentEventIdsAsync(int partition, DateTimeOffset since, int max) =>
        AsyncEnumerable.Empty<(string, string, DateTimeOffset)>();

    public IAsyncEnumerable<EventBatch> ReadWorkspaceAsync(string workspaceId, long afterSeq) => AsyncEnumerable.Empty<EventBatch>();
}
