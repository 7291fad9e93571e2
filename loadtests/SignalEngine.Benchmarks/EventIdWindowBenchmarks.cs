using BenchmarkDotNet.Attributes;
using SignalEngine.Core.Events;

namespace SignalEngine.Benchmarks;

/// <summary>
/// The ingest partition's de-duplication at steady state: the window holds its maximum of ids, so each new
/// event id is one lookup-and-add and one eviction of the oldest. Per operation: 1,000 new ids.
/// </summary>
[MemoryDiagnoser]
public class EventIdWindowBenchmarks
{
    private const int IdsPerOperation = 1_000;
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Params(500_000)]
    public int MaxIds { get; set; }

    private EventIdWindow _window = null!;
    private string[] _workspaces = null!;
    private string[] _ids = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _window = new EventIdWindow(new DeduplicationOptions { MaxIdsPerPartition = MaxIds });
        _workspaces = Enumerable.Range(0, 125).Select(i => $"ws-{i:D6}").ToArray();
        // More distinct ids than the window holds, so cycling through them always adds (the oldest is gone).
        _ids = Enumerable.Range(0, MaxIds * 2).Select(i => Guid.CreateVersion7(Now.AddTicks(i)).ToString()).ToArray();
        for (var i = 0; i < MaxIds; i++) Add();
    }

    private bool Add()
    {
        var i = _next++ % _ids.Length;
        return _window.TryAdd(_workspaces[i % _workspaces.Length], _ids[i], Now);
    }

    [Benchmark(OperationsPerInvoke = IdsPerOperation)]
    public int AddNewIdsToAFullWindow()
    {
        var added = 0;
        for (var i = 0; i < IdsPerOperation; i++) if (Add()) added++;
        return added;
    }
}
