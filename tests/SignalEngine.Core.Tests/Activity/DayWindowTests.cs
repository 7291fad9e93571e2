using SignalEngine.Core.Activity;

namespace SignalEngine.Core.Tests.Activity;

public class DayWindowTests
{
    [Fact]
    public void Ending_covers_the_given_number_of_days_up_to_and_including_the_last_day()
    {
        var window = DayWindow.Ending(100, 28);
        Assert.Equal(new DayWindow(73, 100), window);
        Assert.Equal(28, window.Length);
    }

    [Fact]
    public void Ending_with_one_day_is_that_day()
    {
        Assert.Equal(new DayWindow(100, 100), DayWindow.Ending(100, 1));
        Assert.Equal(1, DayWindow.Ending(100, 1).Length);
    }

    [Fact]
    public void Previous_is_the_same_length_immediately_before()
    {
        var window = DayWindow.Ending(100, 14);
        Assert.Equal(new DayWindow(73, 86), window.Previous);
        Assert.Equal(window.Length, window.Previous.Length);
        Assert.Equal(window.FirstDay - 1, window.Previous.LastDay);
        Assert.Equal(new DayWindow(59, 72), window.Previous.Previous);
    }

    [Fact]
    public void A_window_prints_its_days()
    {
        Assert.Contains("73", DayWindow.Ending(100, 28).ToString());
    }
}
