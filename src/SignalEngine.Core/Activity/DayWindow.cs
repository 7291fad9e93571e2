namespace SignalEngine.Core.Activity;

/// <summary>An inclusive range of UTC day numbers, e.g. "the last 28 days" ending at the watermark day.</summary>
public readonly record struct DayWindow(int FirstDay, int LastDay)
{
    public int Length => LastDay - FirstDay + 1;

    /// <summary>The <paramref name="days"/> days ending with <paramref name="lastDay"/>.</summary>
    public static DayWindow Ending(int lastDay, int days) => new(lastDay - days + 1, lastDay);

    /// <summary>The window of the same length immediately before this one.</summary>
    public DayWindow Previous => new(FirstDay - Length, FirstDay - 1);

    // The generated ToString would print Previous, whose Previous... forever.
    public override string ToString() => $"days {FirstDay}..{LastDay}";
}
