using SignalEngine.Core.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SignalEngine.Grains;

/// <summary>Tuning of the engine clock and the time wheel.</summary>
public sealed record EngineClockOptions
{
    /// <summary>With no event for this long, the engine clock follows the processing clock.</summary>
    public TimeSpan IdleAfter { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Length of a time-wheel bucket: a time-based play fires at most this late.</summary>
    public TimeSpan BucketLength { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often each silo pushes its newest event time and advances the wheel.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(2);

    public long BucketOf(DateTimeOffset instant) => instant.UtcTicks / BucketLength.Ticks;

    public DateTimeOffset EndOf(long bucket) => new((bucket + 1) * BucketLength.Ticks, TimeSpan.Zero);
}

public sealed class EngineClockGrain(EngineClockOptions options, [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock) : Grain, IEngineClockGrain
{
    private DateTimeOffset? _watermark;
    private DateTimeOffset _lastEventSeenAt;

    public Task<DateTimeOffset?> Advance(DateTimeOffset? observedEventTime)
    {
        var now = clock.GetUtcNow();
        if (observedEventTime is { } observed && (_watermark is null || observed > _watermark))
        {
            _watermark = observed;
            _lastEventSeenAt = now;
        }
        else if (_watermark is { } watermark && now - _lastEventSeenAt >= options.IdleAfter && now > watermark)
        {
            // Nothing has arrived for a while: time passes anyway, or silence would never be noticed.
            _watermark = now;
        }
        return Task.FromResult(_watermark);
    }
}

public sealed class TimeWheelGrain(EngineClockOptions options, ILogger<TimeWheelGrain> logger) : Grain, ITimeWheelGrain
{
    private readonly SortedSet<long> _buckets = [];

    public Task Track(long bucket)
    {
        _buckets.Add(bucket);
        return Task.CompletedTask;
    }

    public async Task<int> Advance(DateTimeOffset engineTime)
    {
        var woken = 0;
        while (_buckets.Count > 0 && options.EndOf(_buckets.Min) <= engineTime)
        {
            var bucket = _buckets.Min;
            try
            {
                woken += await GrainFactory.GetGrain<IDueBucketGrain>(bucket).Fire(engineTime);
                _buckets.Remove(bucket);
            }
            catch (Exception ex)
            {
                // Left tracked: the next advance retries it.
                logger.LogWarning(ex, "Time-wheel bucket {Bucket} could not fire", bucket);
                break;
            }
        }
        return woken;
    }
}

public sealed class DueBucketGrain(ILogger<DueBucketGrain> logger) : Grain, IDueBucketGrain
{
    private readonly HashSet<string> _workspaces = new(StringComparer.Ordinal);
    private bool _tracked;

    public async Task Add(string workspaceId)
    {
        _workspaces.Add(workspaceId);
        if (!_tracked)
        {
            await GrainFactory.GetGrain<ITimeWheelGrain>(0).Track(this.GetPrimaryKeyLong());
            _tracked = true;
        }
    }

    public Task Remove(string workspaceId)
    {
        _workspaces.Remove(workspaceId);
        return Task.CompletedTask;
    }

    public async Task<int> Fire(DateTimeOffset engineTime)
    {
        var due = _workspaces.ToList();
        var failed = new List<string>();
        // Bounded parallelism: a bucket can hold many workspaces.
        foreach (var chunk in due.Chunk(64))
        {
            await Task.WhenAll(chunk.Select(async id =>
            {
                try
                {
                    await GrainFactory.GetGrain<IWorkspaceGrain>(id).Tick(engineTime);
                }
                catch (Exception ex)
                {
                    logger.LogWarning(ex, "Workspace {WorkspaceId} could not be woken", id);
                    lock (failed) failed.Add(id);
                }
            }));
        }
        // Keep the ones that failed and any that registered while the bucket was firing.
        _workspaces.ExceptWith(due.Except(failed));
        if (failed.Count > 0) throw new InvalidOperationException($"{failed.Count} workspaces of the bucket could not be woken");
        if (_workspaces.Count > 0) return due.Count;
        _tracked = false;
        DeactivateOnIdle();
        return due.Count;
    }
}

public sealed class SegmentPeersGrain : Grain, ISegmentPeersGrain
{
    private readonly Dictionary<string, int> _values = new(StringComparer.Ordinal);
    private readonly SortedDictionary<int, int> _histogram = [];

    public Task<PeerBaseline> Report(string workspaceId, int value)
    {
        if (_values.TryGetValue(workspaceId, out var old)) Decrement(old);
        _values[workspaceId] = value;
        _histogram[value] = _histogram.GetValueOrDefault(value) + 1;
        return Task.FromResult(Baseline());
    }

    public Task Leave(string workspaceId)
    {
        if (_values.Remove(workspaceId, out var old)) Decrement(old);
        return Task.CompletedTask;
    }

    private void Decrement(int value)
    {
        if (--_histogram[value] == 0) _histogram.Remove(value);
    }

    /// <summary>The median from the histogram: O(distinct values), which are few (a count of features).</summary>
    private PeerBaseline Baseline()
    {
        var count = _values.Count;
        if (count == 0) return new PeerBaseline(0, 0);
        int? lower = null;
        var seen = 0;
        foreach (var (value, n) in _histogram)
        {
            seen += n;
            if (lower is null && seen >= (count + 1) / 2) lower = value;
            if (seen >= count / 2 + 1)
                return new PeerBaseline(count % 2 == 1 ? lower!.Value : (lower!.Value + value) / 2.0, count);
        }
        return new PeerBaseline(lower ?? 0, count);
    }
}
