using System.Numerics;
using System.Runtime.CompilerServices;

namespace SignalEngine.Core.Activity;

/// <summary>
/// On which of the last <see cref="Span"/> UTC days something (a user, a feature) was active: one bit
/// per day in a ring of four 64-bit words, so a distinct count over any window is a mask and a test.
/// <see cref="HeadDay"/> is the newest day the ring covers; older days drop out as it advances.
/// 256 days cover the 90-day retention plus the longest look-back of a rule evaluated at its oldest
/// day (two 28-day windows, eight weeks of weekdays), so re-evaluating history never reads a day the
/// ring has forgotten.
/// </summary>
public struct ActivityBitmap
{
    public const int Span = 256;
    private const int WordCount = Span / 64;

    [InlineArray(WordCount)]
    private struct Words
    {
        private ulong _word;
    }

    private Words _words;

    public ActivityBitmap(ReadOnlySpan<ulong> words, int headDay)
    {
        words.CopyTo(_words);
        HeadDay = headDay;
    }

    public int HeadDay { readonly get; private set; }

    public const int Words64 = WordCount;

    /// <summary>One of the ring's words, for snapshots.</summary>
    public readonly ulong Word(int index) => _words[index];

    public readonly bool IsEmpty
    {
        get
        {
            foreach (var word in (ReadOnlySpan<ulong>)_words)
                if (word != 0) return false;
            return true;
        }
    }

    /// <summary>
    /// Marks <paramref name="day"/> active; true if it was not yet. Days already outside the ring are ignored (false).
    /// </summary>
    public bool Set(int day)
    {
        if (IsEmpty) HeadDay = day;
        else if (day > HeadDay) Advance(day);
        else if (day <= HeadDay - Span) return false;
        var slot = Slot(day);
        ref var word = ref _words[slot >> 6];
        var bit = 1UL << (slot & 63);
        if ((word & bit) != 0) return false;
        word |= bit;
        return true;
    }

    /// <summary>True if active on any day of <paramref name="window"/>.</summary>
    public readonly bool AnyIn(DayWindow window) => CountIn(window, stopAtFirst: true) > 0;

    /// <summary>Number of active days in <paramref name="window"/>.</summary>
    public readonly int CountIn(DayWindow window) => CountIn(window, stopAtFirst: false);

    /// <summary>Newest active day, or null if never active.</summary>
    public readonly int? LastActiveDay => LastActiveOnOrBefore(HeadDay);

    /// <summary>Newest active day on or before <paramref name="day"/> within the ring.</summary>
    public readonly int? LastActiveOnOrBefore(int day)
    {
        if (IsEmpty) return null;
        for (var d = Math.Min(day, HeadDay); d > HeadDay - Span; d--)
            if (IsSet(d)) return d;
        return null;
    }

    /// <summary>Oldest active day within the ring.</summary>
    public readonly int? FirstActiveDay
    {
        get
        {
            if (IsEmpty) return null;
            for (var d = HeadDay - Span + 1; d <= HeadDay; d++)
                if (IsSet(d)) return d;
            return null;
        }
    }

    public readonly bool IsSet(int day)
    {
        if (day > HeadDay || day <= HeadDay - Span || IsEmpty) return false;
        var slot = Slot(day);
        return (_words[slot >> 6] >> (slot & 63) & 1) != 0;
    }

    private readonly int CountIn(DayWindow window, bool stopAtFirst)
    {
        var first = Math.Max(window.FirstDay, HeadDay - Span + 1);
        var last = Math.Min(window.LastDay, HeadDay);
        if (first > last) return 0;
        var mask = Mask(first, last);
        var count = 0;
        for (var i = 0; i < WordCount; i++)
        {
            var hits = _words[i] & mask[i];
            if (hits == 0) continue;
            if (stopAtFirst) return 1;
            count += BitOperations.PopCount(hits);
        }
        return count;
    }

    private void Advance(int newHead)
    {
        if (newHead - HeadDay >= Span)
        {
            _words = default;
        }
        else
        {
            // The slots of days HeadDay+1..newHead still hold days Span earlier: clear them.
            var clear = Mask(HeadDay + 1, newHead);
            for (var i = 0; i < WordCount; i++) _words[i] &= ~clear[i];
        }
        HeadDay = newHead;
    }

    /// <summary>Bit mask of the slots of days first..last (at most <see cref="Span"/> days).</summary>
    private static Words Mask(int first, int last)
    {
        var mask = new Words();
        var length = last - first + 1;
        var start = Slot(first);
        // At most two contiguous runs in the ring.
        var firstRun = Math.Min(length, Span - start);
        AddRun(ref mask, start, firstRun);
        if (length > firstRun) AddRun(ref mask, 0, length - firstRun);
        return mask;
    }

    private static void AddRun(ref Words mask, int start, int length)
    {
        var end = start + length; // exclusive, <= Span
        for (var word = start >> 6; word < WordCount && word * 64 < end; word++)
        {
            var from = Math.Max(start, word * 64) - word * 64;
            var to = Math.Min(end, word * 64 + 64) - word * 64;
            mask[word] |= to - from >= 64 ? ulong.MaxValue : ((1UL << (to - from)) - 1) << from;
        }
    }

    private static int Slot(int day) => ((day % Span) + Span) % Span;
}
