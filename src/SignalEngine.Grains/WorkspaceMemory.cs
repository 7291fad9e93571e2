using System.Diagnostics;
using System.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SignalEngine.Core.Capacity;

namespace SignalEngine.Grains;

/// <summary>How many workspace grains this silo holds activated (counted by the grains themselves).</summary>
public sealed class ActiveWorkspaces
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    internal void Activated() => Interlocked.Increment(ref _count);

    internal void Deactivated() => Interlocked.Decrement(ref _count);
}

/// <summary>When <see cref="WorkspaceMemoryTrimmer"/> trims (its policy) and how often it samples the silo's active workspaces.</summary>
public sealed record WorkspaceMemoryTrimOptions
{
    public MemoryTrimOptions Policy { get; init; } = new();
    public TimeSpan SampleInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Gives memory back to the operating system once many workspaces went idle (<see cref="MemoryTrimPolicy"/>):
/// one blocking, compacting full collection that also decommits free memory. Without it the engine's
/// latency-first server GC keeps the memory a burst of active workspaces grew into for as long as the
/// process runs quietly, because an idle engine allocates too little to reach a full collection.
/// </summary>
public sealed class WorkspaceMemoryTrimmer(ActiveWorkspaces active, WorkspaceMemoryTrimOptions options, ILogger<WorkspaceMemoryTrimmer> logger)
    : BackgroundService
{
    private readonly MemoryTrimPolicy _policy = new(options.Policy);
    private int _trims;

    /// <summary>Trims performed since the silo started.</summary>
    public int Trims => Volatile.Read(ref _trims);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Policy.MinimumDeactivated <= 0) return;
        using var timer = new PeriodicTimer(options.SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var peak = _policy.Peak;
                var now = active.Count;
                logger.LogDebug("Active workspaces {Active}, peak {Peak}", now, Math.Max(peak, now));
                if (_policy.ShouldTrim(DateTimeOffset.UtcNow, now)) Trim(Math.Max(peak, now), now);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void Trim(int peak, int now)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: false);
        // As of the last collection: GetGCMemoryInfo describes one collection, not the present.
        var committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var workingSetBefore = Environment.WorkingSet;
        var pause = Stopwatch.StartNew();
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        pause.Stop();
        Interlocked.Increment(ref _trims);
        logger.LogInformation(
            "Memory trimmed after {Deactivated} workspaces went idle (active {Peak} → {Active}): managed heap {HeapBefore} → {HeapAfter} MiB, GC committed {CommittedBefore} → {CommittedAfter} MiB, working set {WorkingSetBefore} → {WorkingSetAfter} MiB, paused {PauseMs} ms",
            peak - now, peak, now, heapBefore >> 20, GC.GetTotalMemory(false) >> 20, committedBefore >> 20, GC.GetGCMemoryInfo().TotalCommittedBytes >> 20,
            workingSetBefore >> 20, Environment.WorkingSet >> 20, pause.ElapsedMilliseconds);
    }
}
