using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Tests.Activity;

public class ActivityBitmapTests
{
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
        // Ring covers 73..200.
        var bitmap = With(73, 80, 150, 200);

        Assert.Equal(4, bitmap.CountIn(new DayWindow(0, 1_000)));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(-50, 100)));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(150, 10_000)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(201, 400)));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(0, 72)));
    }

    [Fact]
    public void A_window_entirely_after_the_head_is_empty()
    {
        var bitmap = With(10, 11, 12);
        Assert.Equal(0, bitmap.CountIn(DayWindow.Ending(40, 28)));
        Assert.False(bitmap.AnyIn(DayWindow.Ending(40, 28)));
    }

    [Fact]
    public void Advancing_the_head_by_128_days_or_more_clears_everything_older()
    {
        foreach (var jump in new[] { 128, 129, 1_000 })
        {
            var bitmap = With(1_000, 1_001, 1_050, 1_127);
            Assert.True(bitmap.Set(1_127 + jump));
            Assert.Equal(1, bitmap.CountIn(new DayWindow(0, 10_000)));
            Assert.Equal(1_127 + jump, bitmap.LastActiveDay);
            Assert.False(bitmap.IsSet(1_127));
        }
    }

    [Fact]
    public void Advancing_by_127_days_keeps_only_the_day_still_inside_the_ring()
    {
        var bitmap = With(1_000, 1_001);
        bitmap.Set(1_128); // ring is now 1001..1128
        Assert.False(bitmap.IsSet(1_000));
        Assert.True(bitmap.IsSet(1_001));
        Assert.Equal(2, bitmap.CountIn(new DayWindow(0, 10_000)));
    }

    [Fact]
    public void A_day_set_128_days_before_the_new_head_does_not_reappear_after_advancing()
    {
        // Day 1000 and day 1128 share a slot: once the head passes 1128, 1000's bit must not be read as 1128.
        var bitmap = With(1_000);
        bitmap.Set(1_100);
        bitmap.Set(1_129); // 1000 is now outside the ring (<= 1129 - 128)
        Assert.Equal(2, bitmap.CountIn(new DayWindow(0, 10_000)));
        Assert.False(bitmap.IsSet(1_128));
        Assert.Equal(0, bitmap.CountIn(new DayWindow(1_101, 1_128)));
    }

    [Fact]
    public void Late_days_inside_the_ring_are_counted()
    {
        var bitmap = With(2_000);
        Assert.True(bitmap.Set(1_990));
        Assert.True(bitmap.Set(2_000 - 127)); // the oldest day the ring still covers
        Assert.Equal(2_000, bitmap.HeadDay);
        Assert.Equal(3, bitmap.CountIn(DayWindow.Ending(2_000, 128)));
        Assert.Equal(2, bitmap.CountIn(DayWindow.Ending(2_000, 28)));
        Assert.Equal(2_000, bitmap.LastActiveDay);
    }

    [Fact]
    public void Days_older_than_the_ring_are_ignored()
    {
        var bitmap = With(2_000);
        Assert.False(bitmap.Set(2_000 - 128));
        Assert.False(bitmap.Set(1_000));
        Assert.Equal(1, bitmap.CountIn(new DayWindow(0, 10_000)));
        Assert.False(bitmap.IsSet(2_000 - 128));
        Assert.Equal(2_000, bitmap.HeadDay);
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
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(20_736)] // 162 * 128
    public void Every_day_of_a_full_ring_ending_at_a_slot_boundary_is_counted_once(int head)
    {
        var bitmap = new ActivityBitmap();
        for (var day = head - 127; day <= head; day++) Assert.True(bitmap.Set(day));

        Assert.Equal(128, bitmap.CountIn(DayWindow.Ending(head, 128)));
        Assert.Equal(128, bitmap.CountIn(DayWindow.Ending(head + 50, 500)));
        for (var length = 1; length <= 128; length++)
        {
            Assert.Equal(length, bitmap.CountIn(DayWindow.Ending(head, length)));
            Assert.Equal(length, bitmap.CountIn(new DayWindow(head - 127, head - 128 + length)));
        }
        Assert.Equal(head, bitmap.LastActiveDay);
    }

    [Theory]
    [InlineData(62, 66)]   // crosses slot 63 -> 64 (low word -> high word)
    [InlineData(126, 130)] // crosses slot 127 -> 0 (high word -> low word)
    [InlineData(190, 194)]
    [InlineData(254, 258)]
    [InlineData(-3, 2)]    // days before the epoch wrap the same way
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
    }

    [Theory]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(20_736)]
    public void Advancing_across_slot_boundaries_clears_exactly_the_slots_being_reused(int boundary)
    {
        // Fill the whole ring ending just before the boundary, then step the head forward one day at a time.
        var bitmap = new ActivityBitmap();
        var head = boundary - 1;
        for (var day = head - 127; day <= head; day++) bitmap.Set(day);

        for (var step = 1; step <= 130; step++)
        {
            var newHead = head + step;
            bitmap.Set(newHead);
            // Days head-127 .. head are set (those still inside the ring) plus head+1 .. newHead.
            Assert.Equal(128, bitmap.CountIn(DayWindow.Ending(newHead, 128)));
            Assert.False(bitmap.IsSet(newHead - 128));
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
            var origin = random.Next(0, 4) * 64 + random.Next(-3, 4);
            for (var i = 0; i < 40; i++)
            {
                var day = origin + random.Next(-140, 300);
                Assert.Equal(model.Set(day), bitmap.Set(day));
                Assert.Equal(model.Head, bitmap.HeadDay);
            }
            for (var i = 0; i < 40; i++)
            {
                var first = model.Head - random.Next(-5, 200);
                var window = new DayWindow(first, first + random.Next(0, 140));
                Assert.Equal(model.CountIn(window), bitmap.CountIn(window));
                Assert.Equal(model.CountIn(window) > 0, bitmap.AnyIn(window));
            }
            Assert.Equal(model.Days.Count == 0 ? null : model.Days.Max(), bitmap.LastActiveDay);
        }
    }

    [Fact]
    public void Words_and_HeadDay_round_trip_through_the_constructor()
    {
        var bitmap = With(1_000, 1_063, 1_064, 1_100, 1_127);
        var copy = new ActivityBitmap(Enumerable.Range(0, ActivityBitmap.Words64).Select(bitmap.Word).ToArray(), bitmap.HeadDay);
        Assert.Equal(bitmap.HeadDay, copy.HeadDay);
        for (var day = 990; day <= 1_140; day++) Assert.Equal(bitmap.IsSet(day), copy.IsSet(day));
        Assert.Equal(5, copy.CountIn(new DayWindow(0, 2_000)));
    }

    /// <summary>The obvious implementation: a set of days and a head, keeping the last 128 days.</summary>
    private sealed class ReferenceRing
    {
        public HashSet<int> Days { get; } = [];
        public int Head { get; private set; }

        public bool Set(int day)
        {
            if (Days.Count == 0) Head = day;
            else if (day > Head) { Head = day; Days.RemoveWhere(d => d <= Head - 128); }
            else if (day <= Head - 128) return false;
            Days.Add(day);
            return true;
        }

        public int CountIn(DayWindow window) => Days.Count(d => d >= window.FirstDay && d <= window.LastDay);
    }
}
