using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Tests.Activity;

public class ActivityBitmapTests
{
    private const int Span = ActivityBitmap.Span;

    private static ActivityBitmap With(params int[] days)
    {
        var bitmap = new ActivityBitmap();
        foreach (var day in days) bitmap.Set(day);
        return bitmap;
    }

    [Fact]
    public void A_new_bitmap_is_empty_and_counts_nothing()
    {
        var bitmap = new ActivityBitmap();
        Assert.True(bitmap.IsEmpty);
        Assert.Null(bitmap.LastActiveDay);
        Assert.Equal(0, bitmap.CountIn(new DayWindow(-1000, 1000)));
        Assert.False(bitmap.AnyIn(new DayWindow(-1000, 1000)));
        Assert.False(bitmap.IsSet(0));
    }

    [Fact]
    public void The_first_day_set_becomes_the_head()
    {
        var bitmap = With(20_000);
        Assert.False(bitmap.IsEmpty);
        Assert.Equal(20_000, bitmap.HeadDay);
        Assert.True(bitmap.IsSet(20_000));
        Assert.Equal(20_000, bitmap.LastActiveDay);
    }

    [Fact]
    public void Counts_active_days_inside_a_window_only()
    {
        var bitmap = With(100, 101, 105, 110, 130);

        Assert.Equal(5, bitmap.CountIn(new DayWindow(100, 130)));
        Assert.Equal(3, bitmap.CountIn(DayWindow.Ending(110, 10))); // 101..110
        Assert.Equal(2, bitmap.CountIn(new DayWindow(105, 129)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(111, 129)));
        Assert.Equal(1, bitmap.CountIn(new DayWindow(130, 130)));
        Assert.True(bitmap.AnyIn(new DayWindow(102, 105)));
        Assert.False(bitmap.AnyIn(new DayWindow(102, 104)));
    }

    [Fact]
    public void Setting_the_same_day_twice_counts_it_once()
    {
        var bitmap = With(500, 500, 500);
        Assert.Equal(1, bitmap.CountIn(DayWindow.Ending(500, 28)));
    }

    [Fact]
    public void A_window_partly_outside_the_ring_counts_only_the_covered_days()
    {
        // Ring covers 1000..1000+Span-1.
        const int first = 1_000, head = first + Span - 1;
        var bitmap = With(first, first + 7, head - 50, head);

        Assert.Equal(4, bitmap.CountIn(new DayWindow(0, 10_000)));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(first - 50, first + 27)));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(head - 50, head + 10_000)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(head + 1, head + 200)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(0, first - 1)));
        Assert.Equal(1, bitmap.CountIn(new DayWindow(head - Span - 10, first)));
    }

    [Fact]
    public void A_window_entirely_after_the_head_is_empty()
    {
        var bitmap = With(10, 11, 12);
        Assert.Equal(0, bitmap.CountIn(DayWindow.Ending(40, 28)));
        Assert.False(bitmap.AnyIn(DayWindow.Ending(40, 28)));
    }

    [Theory]
    [InlineData(Span)]
    [InlineData(Span + 1)]
    [InlineData(4 * Span + 17)]
    public void Advancing_the_head_by_a_full_span_or_more_clears_everything_older(int jump)
    {
        const int oldHead = 1_000 + Span - 1;
        var bitmap = With(1_000, 1_001, 1_050, 1_000 + Span / 2, oldHead);
        Assert.True(bitmap.Set(oldHead + jump));
        Assert.Equal(1, bitmap.CountIn(new DayWindow(0, 100_000)));
        Assert.Equal(oldHead + jump, bitmap.LastActiveDay);
        Assert.Equal(oldHead + jump, bitmap.HeadDay);
        Assert.False(bitmap.IsSet(oldHead));
        // Every other day the ring covers is clear, in every word.
        for (var day = oldHead + jump - Span + 1; day < oldHead + jump; day++) Assert.False(bitmap.IsSet(day));
    }

    [Fact]
    public void Advancing_by_span_minus_one_days_keeps_only_the_day_still_inside_the_ring()
    {
        var bitmap = With(1_000, 1_001);
        bitmap.Set(1_000 + Span); // ring is now 1001..1000+Span
        Assert.False(bitmap.IsSet(1_000));
        Assert.True(bitmap.IsSet(1_001));
        Assert.True(bitmap.IsSet(1_000 + Span));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(0, 10_000)));
    }

    [Fact]
    public void A_day_set_a_span_before_the_new_head_does_not_reappear_after_advancing()
    {
        // Day 1000 and day 1000+Span share a slot: once the head passes 1000+Span, 1000's bit must not be read as 1000+Span.
        var bitmap = With(1_000);
        bitmap.Set(1_100);
        bitmap.Set(1_000 + Span + 1); // 1000 is now outside the ring (<= head - Span)
        Assert.Equal(2, bitmap.CountIn(new DayWindow(0, 10_000)));
        Assert.False(bitmap.IsSet(1_000 + Span));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(1_101, 1_000 + Span)));
    }

    [Fact]
    public void Set_says_whether_the_day_was_new()
    {
        var bitmap = With(2_000);
        Assert.False(bitmap.Set(2_000));
        Assert.True(bitmap.Set(1_990));
        Assert.False(bitmap.Set(1_990));
        Assert.True(bitmap.Set(2_001));
        Assert.False(bitmap.Set(2_001));
        Assert.Equal(3, bitmap.CountIn(DayWindow.Ending(2_001, Span)));
    }

    [Fact]
    public void Late_days_inside_the_ring_are_counted()
    {
        var bitmap = With(2_000);
        Assert.True(bitmap.Set(1_990));
        Assert.True(bitmap.Set(2_000 - (Span - 1))); // the oldest day the ring still covers
        Assert.Equal(2_000, bitmap.HeadDay);
        Assert.Equal(3, bitmap.CountIn(DayWindow.Ending(2_000, Span)));
        Assert.Equal(2, bitmap.CountIn(DayWindow.Ending(2_000, Span - 1)));
        Assert.Equal(2, bitmap.CountIn(DayWindow.Ending(2_000, 28)));
        Assert.Equal(2_000, bitmap.LastActiveDay);
        Assert.Equal(2_000 - (Span - 1), bitmap.FirstActiveDay);
    }

    [Fact]
    public void Days_older_than_the_ring_are_ignored()
    {
        var bitmap = With(2_000);
        Assert.False(bitmap.Set(2_000 - Span));
        Assert.False(bitmap.Set(2_000 - Span - 64));
        Assert.False(bitmap.Set(1_000));
        Assert.Equal(1, bitmap.CountIn(new DayWindow(0, 10_000)));
        Assert.False(bitmap.IsSet(2_000 - Span));
        Assert.Equal(2_000, bitmap.HeadDay);
        Assert.Equal(2_000, bitmap.FirstActiveDay);
    }

    [Fact]
    public void LastActiveDay_is_the_newest_set_day_even_when_set_late()
    {
        var bitmap = With(300, 250);
        Assert.Equal(300, bitmap.LastActiveDay);
        bitmap.Set(299);
        Assert.Equal(300, bitmap.LastActiveDay);
        bitmap.Set(301);
        Assert.Equal(301, bitmap.LastActiveDay);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    [InlineData(191)]
    [InlineData(192)]
    [InlineData(193)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(20_736)] // 81 * 256
    public void Every_day_of_a_full_ring_ending_at_a_slot_boundary_is_counted_once(int head)
    {
        var bitmap = new ActivityBitmap();
        for (var day = head - (Span - 1); day <= head; day++) Assert.True(bitmap.Set(day));

        Assert.Equal(Span, bitmap.CountIn(DayWindow.Ending(head, Span)));
        Assert.Equal(Span, bitmap.CountIn(DayWindow.Ending(head + 50, 2 * Span)));
        for (var length = 1; length <= Span; length++)
        {
            Assert.Equal(length, bitmap.CountIn(DayWindow.Ending(head, length)));
            Assert.Equal(length, bitmap.CountIn(new DayWindow(head - (Span - 1), head - Span + length)));
        }
        Assert.Equal(head, bitmap.LastActiveDay);
        Assert.Equal(head - (Span - 1), bitmap.FirstActiveDay);
    }

    [Theory]
    [InlineData(62, 66)]   // crosses slot 63 -> 64 (word 0 -> word 1)
    [InlineData(126, 130)] // crosses slot 127 -> 128 (word 1 -> word 2)
    [InlineData(190, 194)] // crosses slot 191 -> 192 (word 2 -> word 3)
    [InlineData(254, 258)] // crosses slot 255 -> 0 (word 3 -> word 0: the ring wraps)
    [InlineData(318, 322)] // the next ring's word 0 -> word 1
    [InlineData(20_734, 20_738)] // 81 * 256: a ring wrap far from the epoch
    [InlineData(-3, 2)]    // days before the epoch wrap the same way
    [InlineData(-66, -62)]
    public void Windows_across_word_and_ring_boundaries_count_exactly(int first, int last)
    {
        var bitmap = new ActivityBitmap();
        for (var day = first; day <= last; day++) bitmap.Set(day);

        Assert.Equal(last - first + 1, bitmap.CountIn(new DayWindow(first, last)));
        for (var day = first; day <= last; day++)
        {
            Assert.True(bitmap.IsSet(day));
            Assert.Equal(1, bitmap.CountIn(new DayWindow(day, day)));
        }
        Assert.Equal(0, bitmap.CountIn(new DayWindow(first - 10, first - 1)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(last - Span + 1, first - 1)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(192)]
    [InlineData(256)]
    [InlineData(20_736)]
    public void Advancing_across_slot_boundaries_clears_exactly_the_slots_being_reused(int boundary)
    {
        // Fill the whole ring ending just before the boundary, then step the head forward one day at a time.
        var bitmap = new ActivityBitmap();
        var head = boundary - 1;
        for (var day = head - (Span - 1); day <= head; day++) bitmap.Set(day);

        for (var step = 1; step <= Span + 2; step++)
        {
            var newHead = head + step;
            bitmap.Set(newHead);
            // Days head-(Span-1) .. head are set (those still inside the ring) plus head+1 .. newHead.
            Assert.Equal(Span, bitmap.CountIn(DayWindow.Ending(newHead, Span)));
            Assert.False(bitmap.IsSet(newHead - Span));
            Assert.Equal(newHead - (Span - 1), bitmap.FirstActiveDay);
        }
    }

    [Theory]
    [InlineData(Span - 1)]
    [InlineData(Span)]
    [InlineData(Span + 1)]
    [InlineData(Span + 64)]
    public void Advancing_by_large_steps_across_slot_boundaries_keeps_exactly_the_days_inside_the_ring(int jump)
    {
        // Every third day set over a full ring ending just before a word boundary, then one jump.
        foreach (var boundary in new[] { 64, 128, 192, 256 })
        {
            var bitmap = new ActivityBitmap();
            var head = boundary - 1;
            var days = Enumerable.Range(head - (Span - 1), Span).Where(d => d % 3 == 0).ToList();
            foreach (var day in days) bitmap.Set(day);
            bitmap.Set(head); // the head itself

            bitmap.Set(head + jump);
            var kept = days.Append(head).Where(d => d > head + jump - Span).Append(head + jump).ToHashSet();
            Assert.Equal(kept.Count, bitmap.CountIn(new DayWindow(head - 2 * Span, head + 2 * Span)));
            for (var day = head - Span; day <= head + jump; day++) Assert.Equal(kept.Contains(day), bitmap.IsSet(day));
        }
    }

    [Fact]
    public void Matches_a_simple_set_of_days_for_random_sequences_around_slot_boundaries()
    {
        var random = new Random(20261102);
        for (var run = 0; run < 300; run++)
        {
            var bitmap = new ActivityBitmap();
            var model = new ReferenceRing();
            var origin = random.Next(0, ActivityBitmap.Words64 + 1) * 64 + random.Next(-3, 4);
            for (var i = 0; i < 60; i++)
            {
                // Mostly inside the ring, some older than it, some jumps past a full span.
                var day = origin + random.Next(-(Span + 12), 2 * Span + 44);
                Assert.Equal(model.Set(day), bitmap.Set(day));
                Assert.Equal(model.Head, bitmap.HeadDay);
            }
            for (var i = 0; i < 40; i++)
            {
                var first = model.Head - random.Next(-5, Span + 72);
                var window = new DayWindow(first, first + random.Next(0, Span + 12));
                Assert.Equal(model.CountIn(window), bitmap.CountIn(window));
                Assert.Equal(model.CountIn(window) > 0, bitmap.AnyIn(window));
                Assert.Equal(model.Days.Contains(first), bitmap.IsSet(first));
                Assert.Equal(model.LastOnOrBefore(first), bitmap.LastActiveOnOrBefore(first));
            }
            Assert.Equal(model.Days.Count == 0 ? null : model.Days.Max(), bitmap.LastActiveDay);
            Assert.Equal(model.Days.Count == 0 ? null : model.Days.Min(), bitmap.FirstActiveDay);
        }
    }

    [Fact]
    public void Words_and_HeadDay_round_trip_through_the_constructor()
    {
        // One day at each end of every word.
        const int first = 1_024; // slot 0
        var days = Enumerable.Range(0, ActivityBitmap.Words64).SelectMany(w => new[] { first + 64 * w, first + 64 * w + 63 }).ToArray();
        var bitmap = With(days);
        Assert.Equal(first + Span - 1, bitmap.HeadDay);
        var words = Enumerable.Range(0, ActivityBitmap.Words64).Select(bitmap.Word).ToArray();
        Assert.All(words, w => Assert.Equal(1UL | 1UL << 63, w));

        var copy = new ActivityBitmap(words, bitmap.HeadDay);
        Assert.Equal(bitmap.HeadDay, copy.HeadDay);
        for (var day = first - 10; day <= first + Span + 10; day++) Assert.Equal(bitmap.IsSet(day), copy.IsSet(day));
        Assert.Equal(days.Length, copy.CountIn(new DayWindow(0, 2_000)));
    }

    /// <summary>The obvious implementation: a set of days and a head, keeping the last <see cref="Span"/> days.</summary>
    private sealed class ReferenceRing
    {
        public HashSet<int> Days { get; } = [];
        public int Head { get; private set; }

        public bool Set(int day)
        {
            if (Days.Count == 0) Head = day;
            else if (day > Head) { Head = day; Days.RemoveWhere(d => d <= Head - Span); }
            else if (day <= Head - Span) return false;
            return Days.Add(day);
        }

        public int CountIn(DayWindow window) => Days.Count(d => d >= window.FirstDay && d <= window.LastDay);

        public int? LastOnOrBefore(int day) => Days.Where(d => d <= day).Select(d => (int?)d).DefaultIfEmpty(null).Max();
    }
}
