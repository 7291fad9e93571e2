using System.Threading.Channels;
using SignalEngine.Core.Events;
using SignalEngine.Grains;
using SignalEngine.Server.Hosting;

namespace SignalEngine.Server.Ingestion;

/// <summary>What became of the valid events of one request.</summary>
public enum SubmitStatus { Done, Overloaded, Unavailable }

public readonly record struct SubmitResult(SubmitStatus Status, bool[] Duplicate, string? Error = null);

/// <summary>
/// Coalesces the events of concurrent requests into one grain call per partition: each request's
/// events are split by partition onto that partition's channel; one loop per partition drains its
/// channel into a batch (up to <see cref="MaxEventsPerCall"/>) and hands it to the partition grain.
/// Admission is bounded by <see cref="EngineSettings.MaxPendingEvents"/>: past it, callers get 429.
/// </summary>
public sealed class IngestPipeline(IGrainFactory grains, EngineSettings settings, ILogger<IngestPipeline> logger) : BackgroundService
{
    public const int MaxEventsPerCall = 4096;

    private sealed record Submission(UsageEvent[] Events, TaskCompletionSource<bool[]> Completion);

    private readonly Channel<Submission>[] _partitions = Enumerable.Range(0, settings.Partitions)
        .Select(_ => Channel.CreateUnbounded<Submission>(new UnboundedChannelOptions { SingleReader = true }))
        .ToArray();

    private long _pendingEvents;
    private long _newestEventTicks;

    public bool IsRunning { get; private set; }

    /// <summary>The newest event time this silo has handed on: its contribution to the engine clock.</summary>
    public DateTimeOffset? NewestEventTime => Interlocked.Read(ref _newestEventTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    public async Task<SubmitResult> SubmitAsync(IReadOnlyList<UsageEvent> events)
    {
        if (events.Count == 0) return new SubmitResult(SubmitStatus.Done, []);
        if (Interlocked.Add(ref _pendingEvents, events.Count) > settings.MaxPendingEvents)
        {
            Interlocked.Add(ref _pendingEvents, -events.Count);
            return new SubmitResult(SubmitStatus.Overloaded, [], $"more than {settings.MaxPendingEvents} events are waiting to be handed on");
        }
        try
        {
            var byPartition = new Dictionary<int, List<int>>();
            for (var i = 0; i < events.Count; i++)
            {
                var partition = WorkspacePartitioner.PartitionOf(events[i].WorkspaceId, settings.Partitions);
                if (!byPartition.TryGetValue(partition, out var indexes)) byPartition[partition] = indexes = [];
                indexes.Add(i);
            }
            var parts = byPartition.Select(p =>
            {
                var submission = new Submission(p.Value.Select(i => events[i]).ToArray(), new TaskCompletionSource<bool[]>(TaskCreationOptions.RunContinuationsAsynchronously));
                if (!_partitions[p.Key].Writer.TryWrite(submission)) submission.Completion.SetException(new IngestUnavailableException("the engine is shutting down"));
                return (Indexes: p.Value, submission.Completion.Task);
            }).ToList();

            var duplicate = new bool[events.Count];
            string? error = null;
            foreach (var (indexes, task) in parts)
            {
                try
                {
                    var flags = await task;
                    for (var k = 0; k < indexes.Count; k++) duplicate[indexes[k]] = flags[k];
                }
                catch (Exception ex)
                {
                    error ??= ex.Message;
                }
            }
            var newest = events.Max(e => e.Timestamp.UtcTicks);
            for (var seen = Interlocked.Read(ref _newestEventTicks); newest > seen; seen = Interlocked.Read(ref _newestEventTicks))
                if (Interlocked.CompareExchange(ref _newestEventTicks, newest, seen) == seen) break;
            // Parts that succeeded are remembered by their partitions: a retry of the whole batch reports them as duplicates.
            return error is null ? new SubmitResult(SubmitStatus.Done, duplicate) : new SubmitResult(SubmitStatus.Unavailable, duplicate, error);
        }
        finally
        {
            Interlocked.Add(ref _pendingEvents, -events.Count);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        IsRunning = true;
        return Task.WhenAll(_partitions.Select((channel, partition) => Task.Run(() => PumpAsync(partition, channel.Reader, stoppingToken), CancellationToken.None)));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        IsRunning = false;
        foreach (var channel in _partitions) channel.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task PumpAsync(int partition, ChannelReader<Submission> reader, CancellationToken stoppingToken)
    {
        var grain = grains.GetGrain<IIngestPartitionGrain>(partition);
        var batch = new List<Submission>();
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                var count = 0;
                while (count < MaxEventsPerCall && reader.TryRead(out var submission))
                {
                    batch.Add(submission);
                    count += submission.Events.Length;
                }
                var events = batch.Count == 1 ? batch[0].Events : batch.SelectMany(s => s.Events).ToArray();
                try
                {
                    var receipt = await grain.Ingest(new EventBatch(events));
                    var offset = 0;
                    foreach (var submission in batch)
                    {
                        submission.Completion.SetResult(receipt.Duplicate.AsSpan(offset, submission.Events.Length).ToArray());
                        offset += submission.Events.Length;
                    }
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Partition {Partition} could not take {Count} events", partition, events.Length);
                    foreach (var submission in batch) submission.Completion.TrySetException(ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            while (reader.TryRead(out var left)) left.Completion.TrySetException(new IngestUnavailableException("the engine is shutting down"));
        }
    }
}
