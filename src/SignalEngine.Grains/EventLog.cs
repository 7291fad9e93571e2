using Orleans.Concurrency;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains;

/// <summary>
/// Where an ingest partition hands its new events, grouped by workspace: the partition's log. Each append
/// takes the next position of the partition; the log's stream provider (<see cref="EventLogQueueAdapterFactory"/>)
/// delivers positions in order to the workspace grains. Memory mode keeps the log in a grain per partition;
/// durable mode commits it to PostgreSQL (one transaction per call). The HTTP 202 waits for this call.
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

/// <summary>One workspace's events at one log position of a partition.</summary>
[GenerateSerializer, Immutable]
public sealed record LogRow([property: Id(0)] long Seq, [property: Id(1)] string WorkspaceId, [property: Id(2)] UsageEvent[] Events);

/// <summary>The read side of the log, as the stream provider's receivers use it (one receiver per partition).</summary>
public interface IEventLogReader
{
    /// <summary>The position through which the partition was delivered (where a new receiver starts).</summary>
    Task<long> DeliveredPositionAsync(int partition);

    /// <summary>The rows of positions after <paramref name="afterSeq"/>, at most <paramref name="maxPositions"/> positions, in position order.</summary>
    Task<IReadOnlyList<LogRow>> ReadAsync(int partition, long afterSeq, int maxPositions);

    /// <summary>Every position through <paramref name="seq"/> reached its workspace: record it (and let the log trim).</summary>
    Task DeliveredAsync(int partition, long seq);
}

/// <summary>Memory mode: the log of each partition lives in a <see cref="IMemoryLogPartitionGrain"/> until it is delivered; nothing survives the process.</summary>
public sealed class MemoryEventLog(IGrainFactory grains) : IEventLog, IEventLogReader
{
    public async Task<IReadOnlyCollection<string>> AppendAsync(int partition, IReadOnlyList<(string WorkspaceId, UsageEvent[] Events)> groups) =>
        await grains.GetGrain<IMemoryLogPartitionGrain>(partition).Append(new LogAppend(groups.Select(g => new LogGroup(g.WorkspaceId, g.Events)).ToArray()))
            ? []
            : groups.Select(g => g.WorkspaceId).ToArray();

    public IAsyncEnumerable<(string WorkspaceId, string EventId, DateTimeOffset ReceivedAt)> RecentEventIdsAsync(int partition, DateTimeOffset since, int max) =>
        AsyncEnumerable.Empty<(string, string, DateTimeOffset)>();

    public IAsyncEnumerable<EventBatch> ReadWorkspaceAsync(string workspaceId, long afterSeq) => AsyncEnumerable.Empty<EventBatch>();

    public Task<long> DeliveredPositionAsync(int partition) => grains.GetGrain<IMemoryLogPartitionGrain>(partition).DeliveredPosition();

    public async Task<IReadOnlyList<LogRow>> ReadAsync(int partition, long afterSeq, int maxPositions) =>
        await grains.GetGrain<IMemoryLogPartitionGrain>(partition).Read(afterSeq, maxPositions);

    public Task DeliveredAsync(int partition, long seq) => grains.GetGrain<IMemoryLogPartitionGrain>(partition).Delivered(seq);
}

[GenerateSerializer, Immutable]
public sealed record LogGroup([property: Id(0)] string WorkspaceId, [property: Id(1)] UsageEvent[] Events);

[GenerateSerializer, Immutable]
public sealed record LogAppend([property: Id(0)] LogGroup[] Groups);

/// <summary>Memory mode's log of one partition (key: partition number): appended rows wait here until the receiver reports them delivered.</summary>
public interface IMemoryLogPartitionGrain : IGrainWithIntegerKey
{
    /// <summary>Appends one position; false when the log already holds <see cref="MemoryLogOptions.MaxUndeliveredEvents"/> (back-pressure: the caller answers 503).</summary>
    Task<bool> Append(LogAppend append);

    [ReadOnly]
    Task<LogRow[]> Read(long afterSeq, int maxPositions);

    [ReadOnly]
    Task<long> DeliveredPosition();

    Task Delivered(long seq);
}

/// <summary>Bounds of memory mode's log.</summary>
public sealed record MemoryLogOptions
{
    /// <summary>Undelivered events one partition may hold; past it appends are refused until delivery catches up.</summary>
    public int MaxUndeliveredEvents { get; init; } = 500_000;
}

public sealed class MemoryLogPartitionGrain(MemoryLogOptions options) : Grain, IMemoryLogPartitionGrain
{
    private readonly Queue<LogRow> _rows = new();
    private int _undeliveredEvents;

    // Positions start from the activation time in microseconds, not from 1: a workspace remembers the newest
    // position it applied, and a log activated again must keep its positions growing. It does while a partition
    // averages fewer than 1,000 appends (ingest calls) per millisecond between activations and the clock does not
    // go back; MemoryLogPartitionGrainTests shows a re-activation.
    private long _head = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;
    private long _delivered;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _delivered = _head;
        return Task.CompletedTask;
    }

    public Task<bool> Append(LogAppend append)
    {
        if (_undeliveredEvents >= options.MaxUndeliveredEvents) return Task.FromResult(false);
        var seq = ++_head;
        foreach (var group in append.Groups)
        {
            _rows.Enqueue(new LogRow(seq, group.WorkspaceId, group.Events));
            _undeliveredEvents += group.Events.Length;
        }
        return Task.FromResult(true);
    }

    public Task<LogRow[]> Read(long afterSeq, int maxPositions)
    {
        var through = afterSeq + maxPositions;
        var rows = new List<LogRow>();
        foreach (var row in _rows)
        {
            if (row.Seq > through) break;
            if (row.Seq > afterSeq) rows.Add(row);
        }
        return Task.FromResult(rows.ToArray());
    }

    public Task<long> DeliveredPosition() => Task.FromResult(_delivered);

    public Task Delivered(long seq)
    {
        while (_rows.TryPeek(out var row) && row.Seq <= seq)
        {
            _rows.Dequeue();
            _undeliveredEvents -= row.Events.Length;
        }
        _delivered = Math.Max(_delivered, seq);
        return Task.CompletedTask;
    }
}
