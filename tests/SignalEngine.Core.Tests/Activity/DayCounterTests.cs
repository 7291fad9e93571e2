using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Tests.Activity;

public class DayCounterTests
{
    private const int Span = ActivityBitmap.Span;

    [Fact]
    public void A_new_counter_is_empty_and_sums_to_zero()
    {
        var counter = new DayCounter();
        Assert.True(counter.IsEmpty);
        Assert.Equal(0, counter.Get(0));
        Assert.Equal(0, counter.SumIn(DayWindow.Ending(100, 28)));
        Assert.Null(counter.Snapshot());
    }

    [Fact]
    public void Sums_counts_over_a_window()
    {
        var counter = new DayCounter();
        counter.Add(100);
        counter.Add(100);
        counter.Add(101, 5);
        counter.Add(107, 3);
        counter.Add(110);

        Assert.False(counter.IsEmpty);
        Assert.Equal(110, counter.HeadDay);
        Assert.Equal(2, counter.Get(100));
        Assert.Equal(11, counter.SumIn(new DayWindow(0, 1_000)));
        Assert.Equal(4, counter.SumIn(DayWindow.Ending(110, 7)));  // 104..110
        Assert.Equal(8, counter.SumIn(new DayWindow(101, 107)));
        Assert.Equal(0, counter.SumIn(new DayWindow(102, 106)));
    }

    [Fact]
    public void Late_days_inside_the_ring_are_added_and_older_ones_ignored()
    {
        var counter = new DayCounter();
        counter.Add(1_000);
        counter.Add(1_000 - (Span - 1), 4); // the oldest day the ring still covers
        counter.Add(1_000 - Span, 100);     // shares the head's slot: must not be added to it
        counter.Add(500, 100);

        Assert.Equal(1_000, counter.HeadDay);
        Assert.Equal(1, counter.Get(1_000));
        Assert.Equal(4, counter.Get(1_000 - (Span - 1)));
        Assert.Equal(0, counter.Get(1_000 - Span));
        Assert.Equal(5, counter.SumIn(new DayWindow(0, 2_000)));
    }

    [Fact]
    public void Advancing_clears_the_slots_of_days_that_fell_out()
    {
        var counter = new DayCounter();
        for (var day = 0; day < Span; day++) counter.Add(day, 1);
        Assert.Equal(Span, counter.SumIn(new DayWindow(-1_000, 1_000)));

        counter.Add(Span + 2, 10); // days 0..2 leave the ring; their slots now hold Span..Span+2
        Assert.Equal(0, counter.Get(0));
        Assert.Equal(0, counter.Get(2));
        Assert.Equal(1, counter.Get(3));
        Assert.Equal(0, counter.Get(Span));
        Assert.Equal(0, counter.Get(Span + 1));
        Assert.Equal(10, counter.Get(Span + 2));
        Assert.Equal(Span - 3 + 10, counter.SumIn(new DayWindow(-1_000, 1_000)));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(Span - 1)]
    public void Advancing_less_than_a_full_ring_keeps_the_days_still_inside_it(int jump)
    {
        var counter = new DayCounter();
        for (var day = 0; day < Span; day++) counter.Add(day, 2);
        counter.Add(Span - 1 + jump);
        Assert.Equal(2 * (Span - jump) + 1, counter.SumIn(new DayWindow(-100, 20_000)));
        Assert.Equal(0, counter.Get(jump - 1));
        Assert.Equal(2, counter.Get(jump));
    }

    [Theory]
    [InlineData(Span)]
    [InlineData(Span + 1)]
    [InlineData(10_000)]
    public void Advancing_a_full_ring_or_more_clears_everything(int jump)
    {
        var counter = new DayCounter();
        for (var day = 0; day < Span; day++) counter.Add(day, 2);
        counter.Add(Span - 1 + jump);
        Assert.Equal(1, counter.SumIn(new DayWindow(-100, 20_000)));
    }

    [Fact]
    public void Snapshot_and_Restore_reproduce_the_counts()
    {
        var counter = new DayCounter();
        counter.Add(20_700, 3);
        counter.Add(20_750, 2);
        counter.Add(20_760);

        var snapshot = counter.Snapshot();
        Assert.NotNull(snapshot);
        Assert.Equal(Span, snapshot.Value.Counts.Length);
        var restored = new DayCounter();
        restored.Restore(snapshot.Value.HeadDay, snapshot.Value.Counts);

        Assert.Equal(counter.HeadDay, restored.HeadDay);
        for (var day = 20_600; day <= 20_800; day++) Assert.Equal(counter.Get(day), restored.Get(day));

        // Both keep behaving the same afterwards.
        counter.Add(20_830, 7);
        restored.Add(20_830, 7);
        for (var day = 20_600; day <= 20_900; day++) Assert.Equal(counter.Get(day), restored.Get(day));
    }

    [Fact]
    public void Snapshot_is_a_copy_not_a_view()
    {
        var counter = new DayCounter();
        counter.Add(50, 1);
        var snapshot = counter.Snapshot()!.Value;
        counter.Add(50, 1);
        Assert.Equal(1, snapshot.Counts.Sum());
    }

    [Fact]
    public void Restore_rejects_a_ring_of_the_wrong_length()
    {
        var counter = new DayCounter();
        Assert.Throws<ArgumentException>(() => counter.Restore(10, new int[64]));
        Assert.Throws<ArgumentException>(() => counter.Restore(10, new int[Span - 1]));
        Assert.Throws<ArgumentException>(() => counter.Restore(10, new int[Span + 1]));
    }
}
