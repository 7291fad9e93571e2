using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace SignalEngine.LoadTests;

/// <summary>
/// Latencies in microseconds from many writers, read once a second: an HdrHistogram recorder hands out
/// the last interval (for the live p99) and the intervals add up to the run's total.
/// </summary>
internal sealed class LatencyRecorder
{
    private const long Highest = 10L * 60 * 1_000_000;
    private readonly Recorder _recorder = new(1, Highest, 3, (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));
    private readonly LongHistogram _total = new(1, Highest, 3);
    private readonly Lock _gate = new();
    private HistogramBase? _recycled;

    public void Record(long startTicks, long endTicks) =>
        _recorder.RecordValue(Math.Clamp((endTicks - startTicks) * 1_000_000 / Stopwatch.Frequency, 1, Highest));

    /// <summary>The 99th percentile (ms) since the previous call and over everything so far; null where nothing was recorded.</summary>
    public (double? Interval, double? Total) SampleP99()
    {
        lock (_gate)
        {
            var interval = _recorder.GetIntervalHistogram(_recycled);
            _total.Add(interval);
            _recycled = interval;
            return (P99(interval), P99(_total));
        }
    }

    public LatencySummary Summary()
    {
        lock (_gate)
        {
            SampleP99();
            return LatencySummary.Of(_total);
        }
    }

    private static double? P99(HistogramBase histogram) => histogram.TotalCount == 0 ? null : histogram.GetValueAtPercentile(99) / 1000.0;
}

internal sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public static LatencySummary Of(HistogramBase histogram) => histogram.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0, 0)
        : new LatencySummary(
            histogram.TotalCount,
            Ms(histogram.GetValueAtPercentile(50)),
            Ms(histogram.GetValueAtPercentile(90)),
            Ms(histogram.GetValueAtPercentile(99)),
            Ms(histogram.GetValueAtPercentile(99.9)),
            Ms(histogram.GetMaxValue()));

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 3);
}

/// <summary>Counts of one phase (warm-up or measured); a batch counts in the phase it started in.</summary>
internal sealed class PhaseCounters
{
    public long EventsSent;
    public long EventsAccepted;
    public long EventsRejected;
    public long EventsAbandoned;
    public long Requests;
    public long Errors;
    public long Throttled;
    public long DuplicatesOnRetry;
    public long UnexpectedDuplicates;
}

internal sealed class RunStatistics
{
    private const int MaxErrorKinds = 20;
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
    private volatile PhaseCounters _current;

    public RunStatistics(int workspaces)
    {
        _current = Warmup;
        Acknowledged = new long[workspaces];
        Uncertain = new long[workspaces];
    }

    public PhaseCounters Warmup { get; } = new();
    public PhaseCounters Measured { get; } = new();
    public PhaseCounters Current => _current;
    public bool Measuring => ReferenceEquals(_current, Measured);
    public LatencyRecorder AckLatency { get; } = new();

    /// <summary>Events the engine acknowledged per workspace (accepted, or reported duplicate of an earlier attempt).</summary>
    public long[] Acknowledged { get; }

    /// <summary>Events of batches given up on: the engine may or may not have taken them.</summary>
    public long[] Uncertain { get; }

    public void StartMeasuring() => _current = Measured;

    public long TotalAccepted => Volatile.Read(ref Warmup.EventsAccepted) + Volatile.Read(ref Measured.EventsAccepted);

    /// <summary>Keeps one count per distinct message (bounded), so a flood of one failure does not hide another.</summary>
    public void NoteError(string message)
    {
        if (_errors.Count < MaxErrorKinds || _errors.ContainsKey(message)) _errors.AddOrUpdate(message, 1, (_, n) => n + 1);
    }

    public IReadOnlyList<ErrorSample> ErrorSamples() =>
        _errors.OrderByDescending(e => e.Value).Select(e => new ErrorSample(e.Key, e.Value)).ToList();
}

internal sealed record ErrorSample(string Message, int Count);

/// <summary>
/// Matches plays from the live stream with the limit.reached crossings the senders injected: one
/// expected play per crossing workspace, latency from the crossing's first send to the play's arrival.
/// Sent/expected are written by senders; the rest by the single stream reader.
/// </summary>
internal sealed class PlayTracker(Workload workload)
{
    public const string RuleId = "expansion.usage_limit";

    private readonly long[] _sentAt = new long[workload.Count];
    private readonly bool[] _received = new bool[workload.Count];
    private readonly HashSet<string> _playIds = new(StringComparer.Ordinal);

    public long Sent;
    public long Expected;
    public long Abandoned;
    public long Received;
    public long Duplicates;
    public long Unexpected;
    public long Extra;

    public LatencyRecorder Latency { get; } = new();

    public void MarkSent(int workspace, long ticks)
    {
        Volatile.Write(ref _sentAt[workspace], ticks);
        Interlocked.Increment(ref Sent);
    }

    public void MarkExpected() => Interlocked.Increment(ref Expected);

    public void MarkAbandoned() => Interlocked.Increment(ref Abandoned);

    public bool AllReceived => Volatile.Read(ref Received) >= Volatile.Read(ref Expected);

    public void OnPlay(string playId, string? workspaceId, string? ruleId, long receivedTicks)
    {
        if (!_playIds.Add(playId))
        {
            Interlocked.Increment(ref Duplicates);
            return;
        }
        if (ruleId != RuleId) return;
        if (workspaceId is null || !workload.IndexOf.TryGetValue(workspaceId, out var workspace) || Volatile.Read(ref _sentAt[workspace]) == 0)
        {
            Interlocked.Increment(ref Unexpected);
            return;
        }
        if (_received[workspace])
        {
            // A second play id for one crossing: the rule fired twice.
            Interlocked.Increment(ref Extra);
            return;
        }
        _received[workspace] = true;
        Interlocked.Increment(ref Received);
        Latency.Record(Volatile.Read(ref _sentAt[workspace]), receivedTicks);
    }
}
