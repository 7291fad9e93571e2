using System.Numerics;

namespace SignalEngine.Core.Activity;

/// <summary>
/// On which of the last <see cref="Span"/> UTC days something (a user, a feature) was active:
/// one bit per day in a ring of two 64-bit words, so a distinct count over any window is a mask and a test.
/// <see cref="HeadDay"/> is the newest day the ring covers; older days drop out as it advances.
/// </summary>
public struct ActivityBitmap
{
    public const int Span = 128;

    private ulong _low;
    private ulong _high;

    public ActivityBitmap(ulong low, ulong high, int headDay)
    {
        _low = low;
        _high = high;
        HeadDay = headDay;
    }

    public readonly ulong Low => _low;
    public readonly ulong High => _high;
    public int HeadDay { readonly get; private set; }

    public readonly bool IsEmpty => (_low | _high) == 0;

    /// <summary>Marks <paramref name="day"/> active. Days already outside the ring are ignored (false).</summary>
    public bool Set(int day)
    {
        if (IsEmpty) HeadDay = day;
        else if (day > HeadDay) Advance(day);
        else if (day <= HeadDay - Span) return false;
        var slot = Slot(day);
        if (slot < 64) _low |= 1UL << slot; else _high |= 1UL << (slot - 64);
        return true;
    }

    /// <summary>True if active on any day of <paramref name="window"/>.</summary>
    public readonly bool AnyIn(DayWindow window) => CountIn(window, stopAtFirst: true) > 0;

    /// <summary>Number of active days in <paramref name="window"/>.</summary>
    public readonly int CountIn(DayWindow window) => CountIn(window, stopAtFirst: false);

    /// <summary>Newest active day, or null if never active.</summary>
    public readonly int? LastActiveDay
    {
        get
        {
            if (IsEmpty) return null;
            for (var day = HeadDay; day > HeadDay - Span; day--)
                if (IsSet(day)) return day;
            return null;
        }
    }

    public readonly bool IsSet(int day)
    {
        if (IsEmpty || day > HeadDay || day <= HeadDay - Span) return false;
        var slot = Slot(day);
        return slot < 64 ? (_low >> slot & 1) != 0 : (_high >> (slot - 64) & 1) != 0;
    }

    private readonly int CountIn(DayWindow window, bool stopAtFirst)
    {
        if (IsEmpty) return 0;
        var first = Math.Max(window.FirstDay, HeadDay - Span + 1);
        var last = Math.Min(window.LastDay, HeadDay);
        if (first > last) return 0;
        var (maskLow, maskHigh) = Mask(first, last);
        var count = BitOperations.PopCount(_low & maskLow) + BitOperations.PopCount(_high & maskHigh);
        return stopAtFirst ? Math.Min(count, 1) : count;
    }

    private void Advance(int newHead)
    {
        if (newHead - HeadDay >= Span)
        {
            _low = _high = 0;
        }
        else
        {
            // The slots of days HeadDay+1..newHead still hold days 128 earlier: clear them.
            var (clearLow, clearHigh) = Mask(HeadDay + 1, newHead);
            _low &= ~clearLow;
            _high &= ~clearHigh;
        }
        HeadDay = newHead;
    }

    /// <summary>Bit mask of the slots of days first..last (at most <see cref="Span"/> days).</summary>
    private static (ulong Low, ulong High) Mask(int first, int last)
    {
        ulong low = 0, high = 0;
        var length = last - first + 1;
        var start = Slot(first);
        // At most two contiguous runs in the 128-slot ring.
        var firstRun = Math.Min(length, Span - start);
        AddRun(ref low, ref high, start, firstRun);
        if (length > firstRun) AddRun(ref low, ref high, 0, length - firstRun);
        return (low, high);
    }

    private static void AddRun(ref ulong low, ref ulong high, int start, int length)
    {
        var end = start + length; // exclusive, <= 128
        if (start < 64) low |= RunBits(start, Math.Min(end, 64));
        if (end > 64) high |= RunBits(Math.Max(start, 64) - 64, end - 64);
    }

    private static ulong RunBits(int from, int to) => to - from >= 64 ? ulong.MaxValue : ((1UL << (to - from)) - 1) << from;

    private static int Slot(int day) => ((day % Span) + Span) % Span;
}
