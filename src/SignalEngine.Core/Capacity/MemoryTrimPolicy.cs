namespace SignalEngine.Core.Capacity;

/// <summary>When a silo hands memory back to the operating system after many of its workspaces went idle.</summary>
public sealed record MemoryTrimOptions
{
    /// <summary>At least this many workspaces deactivated since the peak; 0 turns trimming off.</summary>
    public int MinimumDeactivated { get; init; } = 10_000;

    /// <summary>The active count has fallen to at most this share of its peak.</summary>
    public double MaximumShareOfPeak { get; init; } = 0.5;

    /// <summary>
    /// The active count has not fallen further for this long: deactivations come in waves (Orleans collects idle
    /// grains once a minute, a burst's grains over several rounds), and one trim after the wave gives back what
    /// two during it would.
    /// </summary>
    public TimeSpan SettleTime { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Between two trims: each is one blocking full collection.</summary>
    public TimeSpan MinimumInterval { get; init; } = TimeSpan.FromMinutes(5);

    public static MemoryTrimOptions Off { get; } = new() { MinimumDeactivated = 0 };
}

/// <summary>
/// Decides, from samples of the number of active workspaces, when the set of active workspaces has
/// shrunk enough that a full compacting collection is worth its pause. An active workspace costs about
/// 20 KB and an idle one about 1 KB (its compressed snapshot); a latency-first server GC keeps the memory
/// the active set grew into until it runs a full collection, which an idle engine, allocating little,
/// reaches late or never. A steady churn of activations and deactivations keeps the count near its peak
/// and never trims; a burst that goes idle (a backfill, the end of a business day) trims once, after the
/// wave of deactivations has settled.
/// </summary>
public sealed class MemoryTrimPolicy(MemoryTrimOptions options)
{
    private int _peak;
    private int? _low;
    private DateTimeOffset _lowSince;
    private DateTimeOffset? _lastTrim;

    /// <summary>The most workspaces active at once since the last trim (or the start).</summary>
    public int Peak => _peak;

    /// <summary>Takes one sample; true when memory should be trimmed now (the peak then restarts from this sample).</summary>
    public bool ShouldTrim(DateTimeOffset now, int activeWorkspaces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(activeWorkspaces);
        if (options.MinimumDeactivated <= 0) return false;
        _peak = Math.Max(_peak, activeWorkspaces);
        // The wave has settled when no new low came for a while. A new low must be 1% of the peak below the last,
        // so a trickle of workspaces woken and let go again does not keep a finished wave from settling; a count
        // rising again (the events that follow a backfill) does not either, unless by a tenth of the peak: a new
        // burst, whose fall is then a wave of its own.
        if (_low is not { } low || activeWorkspaces < low - _peak / 100 || activeWorkspaces > low + _peak / 10)
        {
            _low = activeWorkspaces;
            _lowSince = now;
        }
        if (_peak - activeWorkspaces < options.MinimumDeactivated) return false;
        if (activeWorkspaces > _peak * options.MaximumShareOfPeak) return false;
        if (now - _lowSince < options.SettleTime) return false;
        if (_lastTrim is { } last && now - last < options.MinimumInterval) return false;
        _peak = activeWorkspaces;
        _low = activeWorkspaces;
        _lowSince = now;
        _lastTrim = now;
        return true;
    }
}
