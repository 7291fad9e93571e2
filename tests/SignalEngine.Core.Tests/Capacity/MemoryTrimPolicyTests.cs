using SignalEngine.Core.Capacity;

namespace SignalEngine.Core.Tests.Capacity;

public class MemoryTrimPolicyTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private static readonly MemoryTrimOptions Options = new()
    {
        MinimumDeactivated = 1_000,
        MaximumShareOfPeak = 0.5,
        SettleTime = TimeSpan.FromMinutes(1),
        MinimumInterval = TimeSpan.FromMinutes(5),
    };

    /// <summary>Feeds one sample every 10 seconds from <paramref name="from"/>; returns the times it said to trim.</summary>
    private static List<DateTimeOffset> Run(MemoryTrimPolicy policy, DateTimeOffset from, params int[] samples)
    {
        var trims = new List<DateTimeOffset>();
        for (var i = 0; i < samples.Length; i++)
        {
            var at = from.AddSeconds(10 * i);
            if (policy.ShouldTrim(at, samples[i])) trims.Add(at);
        }
        return trims;
    }

    private static int[] Repeat(int count, int times) => Enumerable.Repeat(count, times).ToArray();

    [Fact]
    public void A_burst_that_goes_idle_trims_once_after_the_wave_settles()
    {
        var policy = new MemoryTrimPolicy(Options);
        // Up to 200,000, then deactivated in three rounds a minute apart, then steady at 9,000.
        int[] samples = [10, 200_000, .. Repeat(200_000, 6), .. Repeat(120_000, 6), .. Repeat(60_000, 6), .. Repeat(9_000, 30)];
        var trims = Run(policy, Start, samples);
        // Not during the wave (each round lasts 50 s, less than the settle time): a minute after it ends.
        Assert.Equal([Start.AddSeconds(10 * (2 + 6 + 6 + 6 + 6))], trims);
        Assert.Equal(9_000, policy.Peak);
    }

    [Fact]
    public void A_small_silo_going_idle_is_not_worth_a_pause()
    {
        Assert.Empty(Run(new MemoryTrimPolicy(Options), Start, [900, .. Repeat(0, 30)]));
    }

    [Fact]
    public void Fewer_than_half_gone_idle_does_not_trim()
    {
        Assert.Empty(Run(new MemoryTrimPolicy(Options), Start, [200_000, .. Repeat(150_000, 60)]));
    }

    [Fact]
    public void Steady_churn_near_the_peak_never_trims()
    {
        var random = new Random(7);
        var samples = Enumerable.Range(0, 1_000).Select(_ => 100_000 + random.Next(-20_000, 20_000)).ToArray();
        Assert.Empty(Run(new MemoryTrimPolicy(Options), Start, samples));
    }

    [Fact]
    public void A_trickle_of_wakes_does_not_keep_a_finished_wave_from_settling()
    {
        var random = new Random(3);
        // 100,000 → about 5,000, moving by up to 500 (0.5% of the peak) from sample to sample.
        int[] samples = [100_000, .. Enumerable.Range(0, 12).Select(_ => 5_000 + random.Next(-250, 250))];
        Assert.Single(Run(new MemoryTrimPolicy(Options), Start, samples));
    }

    [Fact]
    public void A_count_still_falling_is_not_settled()
    {
        // 100,000 falling by 2,000 every 10 s to 4,000: more than 1% of the peak each time.
        int[] falling = [.. Enumerable.Range(0, 49).Select(i => 100_000 - 2_000 * i)];
        var policy = new MemoryTrimPolicy(Options);
        Assert.Empty(Run(policy, Start, falling));
        Assert.Single(Run(policy, Start.AddSeconds(10 * falling.Length), Repeat(4_000, 7)));
    }

    [Fact]
    public void A_second_burst_trims_again_only_after_the_interval()
    {
        var policy = new MemoryTrimPolicy(Options);
        Assert.False(policy.ShouldTrim(Start, 100_000));
        Assert.Single(Run(policy, Start.AddSeconds(10), Repeat(5_000, 7))); // trims at 1 min 10 s
        policy.ShouldTrim(Start.AddMinutes(2), 80_000);
        Assert.Empty(Run(policy, Start.AddMinutes(3), Repeat(4_000, 12)));  // settled at 4 min, within 5 min of the trim
        Assert.True(policy.ShouldTrim(Start.AddMinutes(6).AddSeconds(10), 4_000));
    }

    [Fact]
    public void The_peak_restarts_from_the_trim()
    {
        var policy = new MemoryTrimPolicy(Options);
        policy.ShouldTrim(Start, 100_000);
        Assert.Single(Run(policy, Start.AddSeconds(10), Repeat(40_000, 7)));
        // 40,000 → 21,000 is 19,000 fewer, but more than half of the new peak.
        Assert.Empty(Run(policy, Start.AddMinutes(10), Repeat(21_000, 20)));
        Assert.Single(Run(policy, Start.AddMinutes(20), Repeat(20_000, 7)));
    }

    [Fact]
    public void Off_never_trims()
    {
        Assert.Empty(Run(new MemoryTrimPolicy(MemoryTrimOptions.Off), Start, [1_000_000, .. Repeat(0, 100)]));
    }

    [Fact]
    public void A_count_rising_again_after_the_wave_still_settles()
    {
        // As measured after a 200,000-workspace backfill: the wave left 35,090, then a trickle of events woke
        // about 400 more every 10 s.
        int[] samples = [200_000, 192_926, .. Enumerable.Range(0, 12).Select(i => 35_090 + 400 * i)];
        var trims = Run(new MemoryTrimPolicy(Options), Start, samples);
        Assert.Equal([Start.AddSeconds(10 * (2 + 6))], trims);
    }

    [Fact]
    public void The_fall_of_a_new_burst_is_a_wave_of_its_own()
    {
        var policy = new MemoryTrimPolicy(Options);
        Assert.Single(Run(policy, Start, [200_000, .. Repeat(10_000, 7)]));
        // Ten minutes later a new burst up to 150,000, then down to 20,000: it must settle again.
        var burst = Start.AddMinutes(10);
        int[] samples = [50_000, 100_000, 150_000, 20_000, .. Repeat(20_000, 8)];
        Assert.Equal([burst.AddSeconds(10 * (3 + 6))], Run(policy, burst, samples));
    }
}
