using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;
using SignalEngine.Core.Events;
using SignalEngine.Grains;

namespace SignalEngine.Benchmarks;

/// <summary>
/// What the pulling agent asks of its partition cache for one read in steady state: the read's containers
/// (one per workspace) are added, every workspace's drained consumer cursor is refreshed and moved through
/// its new container, and what all cursors passed is purged. Orleans' <c>SimpleQueueCache</c> against the
/// engine's <see cref="EventLogQueueCache"/>, per read of <see cref="Streams"/> workspaces.
/// </summary>
[MemoryDiagnoser]
public class PartitionCacheBenchmarks
{
    [Params(125, 1000)]
    public int Streams { get; set; }

    [Params("simple", "indexed")]
    public string Cache { get; set; } = "";

    private IQueueCache _cache = null!;
    private StreamId[] _streams = null!;
    private IQueueCacheCursor[] _cursors = null!;
    private EventBatch _batch = null!;
    private long _position;

    [GlobalSetup]
    public void Setup()
    {
        _cache = Cache == "simple"
            ? new SimpleQueueCache(16_384, NullLogger.Instance)
            : new EventLogQueueCache(16_384);
        _streams = Enumerable.Range(0, Streams).Select(i => StreamId.Create(StreamNames.WorkspaceEvents, $"ws-{i:D6}")).ToArray();
        _batch = new EventBatch([], 0);
        _cursors = new IQueueCacheCursor[Streams];
        var first = Read();
        _cache.AddToCache(first);
        for (var i = 0; i < Streams; i++)
        {
            var result = _cache.TryGetCacheCursor(_streams[i], first[i].SequenceToken);
            _cursors[i] = result.Cursor!;
            while (_cursors[i].MoveNextWithResult().Kind == QueueCacheCursorMoveResultKind.Success) { }
        }
        _cache.TryPurgeFromCache(out _);
    }

    private IBatchContainer[] Read()
    {
        var containers = new IBatchContainer[Streams];
        for (var i = 0; i < Streams; i++)
        {
            var position = ++_position;
            containers[i] = new EventLogBatchContainer(_streams[i], _batch, new EventSequenceTokenV2(position), position);
        }
        return containers;
    }

    [Benchmark]
    public int OneRead()
    {
        var read = Read();
        _cache.AddToCache(read);
        var delivered = 0;
        for (var i = 0; i < Streams; i++)
        {
            var cursor = _cursors[i];
            cursor.Refresh(read[i].SequenceToken);
            while (cursor.MoveNextWithResult().Kind == QueueCacheCursorMoveResultKind.Success) delivered++;
        }
        _cache.TryPurgeFromCache(out _);
        return delivered;
    }
}
