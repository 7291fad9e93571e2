using SignalEngine.Core.Events;

namespace SignalEngine.Core.Tests.Events;

public class UsageEventTests
{
    [Fact]
    public void EventDay_counts_utc_days_from_the_epoch()
    {
        Assert.Equal(0, EventDay.Of(DateTimeOffset.UnixEpoch));
        Assert.Equal(0, EventDay.Of(DateTimeOffset.UnixEpoch.AddDays(1).AddTicks(-1)));
        Assert.Equal(1, EventDay.Of(DateTimeOffset.UnixEpoch.AddDays(1)));
        Assert.Equal(-1, EventDay.Of(DateTimeOffset.UnixEpoch.AddTicks(-1)));
        Assert.Equal(20_759, EventDay.Of(EventFactory.T0));
    }

    [Fact]
    public void EventDay_puts_the_last_tick_of_a_day_in_that_day()
    {
        var nextMidnight = new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(20_759, EventDay.Of(nextMidnight.AddTicks(-1))); // 2026-11-02T23:59:59.9999999Z; actual 20760
    }

    [Fact]
    public void EventDay_puts_the_last_millisecond_of_a_day_in_that_day()
    {
        var nextMidnight = new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(20_759, EventDay.Of(nextMidnight.AddMilliseconds(-1)));
        Assert.Equal(20_759, EventDay.Of(nextMidnight.AddTicks(-2)));
        Assert.Equal(20_760, EventDay.Of(nextMidnight));
    }

    [Fact]
    public void EventDay_uses_the_utc_day_not_the_local_one()
    {
        // 01:30 on 3 November in +02:00 is still 2 November in UTC.
        var local = new DateTimeOffset(2026, 11, 3, 1, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal(EventDay.Of(EventFactory.T0), EventDay.Of(local));
    }

    [Fact]
    public void EventDay_Start_is_midnight_utc_of_the_day()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), EventDay.Start(20_759));
        Assert.Equal(20_759, EventDay.Of(EventDay.Start(20_759)));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddDays(-1), EventDay.Start(-1));
    }

    [Fact]
    public void A_usage_event_knows_its_day()
    {
        var e = new UsageEvent("e1", "ws", null, "core.x", EventFactory.T0);
        Assert.Equal(20_759, e.Day);
    }

    [Fact]
    public void Property_values_keep_their_kind_and_print_invariantly()
    {
        Assert.Equal(PropertyKind.String, PropertyValue.Of("x").Kind);
        Assert.Equal("x", PropertyValue.Of("x").ToString());
        Assert.Equal(PropertyKind.Number, PropertyValue.Of(1.5).Kind);
        Assert.Equal("1.5", PropertyValue.Of(1.5).ToString());
        Assert.True(PropertyValue.Of(true).Boolean);
        Assert.False(PropertyValue.Of(false).Boolean);
        Assert.False(PropertyValue.Of(1.0).Boolean);
        Assert.Equal("true", PropertyValue.Of(true).ToString());
        Assert.Equal("false", PropertyValue.Of(false).ToString());
        Assert.Equal(PropertyValue.Of("a"), PropertyValue.Of("a"));
        Assert.NotEqual(PropertyValue.Of(1.0), PropertyValue.Of(true));
    }
}
