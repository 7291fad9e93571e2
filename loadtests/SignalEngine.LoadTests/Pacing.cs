using System.Diagnostics;

namespace SignalEngine.LoadTests;

/// <summary>
/// Token bucket over all senders: each batch reserves the next free slot on a shared timeline and waits
/// for it. The bucket holds one batch, so a sender that fell behind does not burst to catch up.
/// </summary>
internal sealed class RateLimiter(double eventsPerSecond)
{
    private readonly double _ticksPerEvent = Stopwatch.Frequency / eventsPerSecond;
    private readonly Lock _gate = new();
    private double _next;

    public async ValueTask WaitAsync(int events, CancellationToken cancellationToken)
    {
        var now = Stopwatch.GetTimestamp();
        double slot;
        lock (_gate)
        {
            slot = Math.Max(_next, now);
            _next = slot + events * _ticksPerEvent;
        }
        var wait = (slot - now) / Stopwatch.Frequency;
        if (wait > 0.001) await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken);
    }
}

/// <summary>
/// When each limit.reached is due: crossing i at <c>start + i * interval</c>, for the workspace at
/// position i of the seeded order. Senders take due crossings into the batch they are building.
/// </summary>
internal sealed class CrossingSchedule(int[] order, int count, long startTicks, long intervalTicks)
{
    private int _next;

    public int Planned => count;
    public int Taken => Math.Min(Volatile.Read(ref _next), count);

    public bool TryTake(long now, out int workspace)
    {
        while (true)
        {
            var i = Volatile.Read(ref _next);
            if (i >= count || now < startTicks + i * intervalTicks)
            {
                workspace = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref _next, i + 1, i) == i)
            {
                workspace = order[i];
                return true;
            }
        }
    }
}
