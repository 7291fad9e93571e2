using BenchmarkDotNet.Attributes;
using SignalEngine.Core.Events;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Benchmarks;

/// <summary>
/// Cost of folding a batch of events into a workspace and evaluating all eleven default rules once for
/// the batch (the work a WorkspaceGrain does per stream item), per event. Also the cost of a batch that
/// carries late data for an already evaluated day, which rewinds and re-runs the kept history.
/// </summary>
[MemoryDiagnoser]
public class RuleEvaluationBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Params(20, 500)]
    public int Users { get; set; }

    [Params(100)]
    public int BatchSize { get; set; }

    private Workspace _workspace = null!;
    private UsageEvent[][] _todayBatches = null!;
    private UsageEvent[][] _todaySingles = null!;
    private UsageEvent[] _lateBatch = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _workspace = new Workspace("ws-bench", RuleCatalogue.Default, RuleCatalogue.DefaultHealth);
        _workspace.SetProfile(new WorkspaceProfile
        {
            Name = "Bench", CreatedAt = Now.AddDays(-400), Tier = 1, SeatsPurchased = Users + 10, Segment = "smb",
            Pilots = new Dictionary<string, IReadOnlyList<string>> { ["analytics"] = Enumerable.Range(0, 10).Select(i => $"u{i}").ToList() },
        }, Now);
        var random = new Random(7);
        // 60 days of history so every window and the anomaly baseline have data.
        var id = 0;
        for (var day = 60; day >= 1; day--)
        {
            var events = Enumerable.Range(0, Users).Select(u => Event(ref id, random, Now.AddDays(-day), u)).ToArray();
            _workspace.Apply(events, Now);
        }
        _todayBatches = Enumerable.Range(0, 64)
            .Select(_ => Enumerable.Range(0, BatchSize).Select(_ => Event(ref id, random, Now, random.Next(Users))).ToArray())
            .ToArray();
        // Built here, not in the measured call: a one-event delivery is the workspace's cost, not an array copy's.
        _todaySingles = [.. _todayBatches.Select(batch => new[] { batch[0] })];
        _lateBatch = Enumerable.Range(0, BatchSize).Select(_ => Event(ref id, random, Now.AddDays(-3), random.Next(Users))).ToArray();
    }

    private static UsageEvent Event(ref int id, Random random, DateTimeOffset day, int user)
    {
        var name = random.Next(10) switch
        {
            0 => "module.analytics.report_built",
            1 => "module.workflows.run",
            _ => $"core.feature_{random.Next(12)}",
        };
        return new UsageEvent($"e{id++}", "ws-bench", $"u{user}", name, day.AddSeconds(random.Next(3600)));
    }

    /// <summary>A batch of today's events: fold, then one provisional evaluation of every rule.</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public int ApplyBatchOfToday() => _workspace.Apply(_todayBatches[_next++ & 63], Now).Count;

    /// <summary>
    /// One event of today, applied alone: what a delivery costs when a workspace receives less than one
    /// event per delivery interval (the common case in live traffic). Per delivery, not per event.
    /// </summary>
    [Benchmark]
    public int ApplyOneEventOfToday() => _workspace.Apply(_todaySingles[_next++ & 63], Now).Count;

    /// <summary>A batch with events 3 days late: fold, rewind to the anchor and re-run the kept days.</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public int ApplyBatchWithLateData() => _workspace.Apply(_lateBatch, Now).Count;
}
