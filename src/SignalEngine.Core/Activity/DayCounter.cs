namespace SignalEngine.Core.Activity;

/// <summary>
/// Per-day counts over a ring of the last <see cref="ActivityBitmap.Span"/> UTC days, allocated on first use.
/// Used for event volumes (core-feature events, signal events such as escalations).
/// </summary>
public sealed class DayCounter
{
    private int[]? _counts;

    public int HeadDay { get; private set; }

    /// <summary>Restores the ring taken by <see cref="Snapshot"/>.</summary>
    public void Restore(int headDay, int[] counts)
    {
        if (counts.Length != ActivityBitmap.Span) throw new ArgumentException($"expected {ActivityBitmap.Span} days", nameof(counts));
        HeadDay = headDay;
        _counts = counts;
    }

    public bool IsEmpty => _counts is null;

    public void Add(int day, int count = 1)
    {
        if (_counts is null)
        {
            _counts = new int[ActivityBitmap.Span];
            HeadDay = day;
        }
        else if (day > HeadDay)
        {
            var advance = Math.Min(day - HeadDay, ActivityBitmap.Span);
            for (var i = 1; i <= advance; i++) _counts[Slot(HeadDay + i)] = 0;
            HeadDay = day;
        }
        else if (day <= HeadDay - ActivityBitmap.Span)
        {
            return;
        }
        _counts[Slot(day)] += count;
    }

    public int Get(int day) =>
        _counts is null || day > HeadDay || day <= HeadDay - ActivityBitmap.Span ? 0 : _counts[Slot(day)];

    public long SumIn(DayWindow window)
    {
        long sum = 0;
        for (var day = window.FirstDay; day <= window.LastDay; day++) sum += Get(day);
        return sum;
    }

    /// <summary>The ring as stored: (head day, counts by slot), or null when never used.</summary>
    public (int HeadDay, int[] Counts)? Snapshot() => _counts is null ? null : (HeadDay, (int[])_counts.Clone());

    private static int Slot(int day) => ((day % ActivityBitmap.Span) + ActivityBitmap.Span) % ActivityBitmap.Span;
}
