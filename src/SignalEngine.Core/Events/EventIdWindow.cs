using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace SignalEngine.Core.Events;

/// <summary>How long, and how many, event ids are remembered to recognise a retried event.</summary>
public sealed record DeduplicationOptions
{
    /// <summary>Ids received within this span of processing time are recognised as duplicates.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// Hard cap on remembered ids per ingest partition, so memory never grows with history: when a
    /// partition receives more than this within <see cref="Window"/>, the oldest ids are forgotten early.
    /// About 80 to 130 bytes each (a 24-byte slot in a table at most half full, and a 32-byte expiry entry):
    /// 84 measured at 4,000,000 ids over 16 partitions (docs/benchmarks.md).
    /// </summary>
    public int MaxIdsPerPartition { get; init; } = 500_000;
}

/// <summary>
/// The bounded memory of recently received event ids of one ingest partition. Keys are 128-bit
/// hashes of (workspaceId, eventId): a false duplicate would need a 128-bit collision.
/// Expiry is first-in first-out by receive time, so both time and count bound it.
/// </summary>
public sealed class EventIdWindow(DeduplicationOptions options)
{
    private readonly StampedKeyTable _seen = new();
    private readonly Queue<(UInt128 Key, long ReceivedAt)> _order = new();

    public int Count => _seen.Count;

    /// <summary>Records the id as seen at <paramref name="now"/>; false if it was already in the window.</summary>
    public bool TryAdd(string workspaceId, string eventId, DateTimeOffset now)
    {
        Expire(now);
        var key = KeyOf(workspaceId, eventId);
        if (!_seen.TryAdd(key, now.UtcTicks)) return false;
        _order.Enqueue((key, now.UtcTicks));
        // Bound the queue, not only the table: ids forgotten after a failed hand-off leave entries behind.
        while (_order.Count > options.MaxIdsPerPartition) RemoveIfCurrent(_order.Dequeue());
        return true;
    }

    /// <summary>Forgets an id recorded by <see cref="TryAdd"/> whose event could not be handed on, so a retry is accepted.</summary>
    public void Forget(string workspaceId, string eventId) => _seen.Remove(KeyOf(workspaceId, eventId), stamp: null);

    public bool Contains(string workspaceId, string eventId) => _seen.Contains(KeyOf(workspaceId, eventId));

    private void Expire(DateTimeOffset now)
    {
        var horizon = (now - options.Window).UtcTicks;
        while (_order.TryPeek(out var oldest) && oldest.ReceivedAt < horizon)
        {
            RemoveIfCurrent(_order.Dequeue());
        }
    }

    // A forgotten-then-re-added id has a newer stamp in the table: keep that one.
    private void RemoveIfCurrent((UInt128 Key, long ReceivedAt) entry) => _seen.Remove(entry.Key, entry.ReceivedAt);

    // Seeded per process, so that nobody can compute ids that all land in one run of the table's slots (keys
    // are never stored: a partition re-hashes the log's recent ids when it activates).
    private static readonly long HashSeed = Random.Shared.NextInt64();

    // The UTF-16 bytes of workspaceId, a 0 char, eventId, hashed in one go: an incremental XxHash128 object per
    // event was a fifth of everything the engine allocated under load.
    private static UInt128 KeyOf(string workspaceId, string eventId)
    {
        var length = (workspaceId.Length + 1 + eventId.Length) * sizeof(char);
        byte[]? rented = null;
        var buffer = length <= 1024 ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        MemoryMarshal.AsBytes(workspaceId.AsSpan()).CopyTo(buffer);
        buffer[workspaceId.Length * sizeof(char)] = 0;
        buffer[workspaceId.Length * sizeof(char) + 1] = 0;
        MemoryMarshal.AsBytes(eventId.AsSpan()).CopyTo(buffer[((workspaceId.Length + 1) * sizeof(char))..]);
        var key = XxHash128.HashToUInt128(buffer, HashSeed);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return key;
    }
}

/// <summary>
/// A set of 128-bit hash keys, each with the receive time (ticks, never 0) it was added at: open addressing
/// with linear probing in one array, at most half full, deletion by backward shift (no tombstones). Under
/// load every event adds one key and, once the window is full, removes the oldest; a
/// <see cref="Dictionary{TKey,TValue}"/> touches a bucket and an entry for each, this one slot:
/// 382 → 321 ns per new id into a full 500,000-id window (EventIdWindowBenchmarks).
/// </summary>
internal sealed class StampedKeyTable
{
    // The key's halves and the stamp, 24 bytes: a UInt128 field would be 16-byte aligned and pad the slot to 32.
    private struct Slot
    {
        public ulong Low;
        public ulong High;
        public long Stamp; // 0: empty
    }

    private Slot[] _slots = new Slot[1024];
    private int _mask = 1023;

    public int Count { get; private set; }

    public bool TryAdd(UInt128 key, long stamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stamp); // 0 marks an empty slot
        var i = Probe(key);
        if (_slots[i].Stamp != 0) return false;
        _slots[i] = new Slot { Low = (ulong)key, High = (ulong)(key >> 64), Stamp = stamp };
        if (++Count * 2 > _slots.Length) Grow();
        return true;
    }

    public bool Contains(UInt128 key) => _slots[Probe(key)].Stamp != 0;

    /// <summary>Removes the key if present and, when <paramref name="stamp"/> is given, added at that stamp.</summary>
    public void Remove(UInt128 key, long? stamp)
    {
        var i = Probe(key);
        if (_slots[i].Stamp == 0 || (stamp is { } expected && _slots[i].Stamp != expected)) return;
        // Backward shift: move each later key of the run into the hole if the hole lies on its probe path.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            if (_slots[j].Stamp == 0) break;
            var home = (int)_slots[j].Low & _mask;
            // j's key may fill the hole unless its home lies cyclically in (hole, j].
            var homeAfterHole = hole <= j ? home > hole && home <= j : home > hole || home <= j;
            if (homeAfterHole) continue;
            _slots[hole] = _slots[j];
            hole = j;
        }
        _slots[hole] = default;
        Count--;
    }

    /// <summary>The key's slot, or the empty slot that ends its probe run (where it would go).</summary>
    private int Probe(UInt128 key)
    {
        var (low, high) = ((ulong)key, (ulong)(key >> 64));
        var i = (int)low & _mask;
        while (_slots[i].Stamp != 0 && (_slots[i].Low != low || _slots[i].High != high)) i = (i + 1) & _mask;
        return i;
    }

    private void Grow()
    {
        var old = _slots;
        _slots = new Slot[old.Length * 2];
        _mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Stamp == 0) continue;
            var i = (int)slot.Low & _mask;
            while (_slots[i].Stamp != 0) i = (i + 1) & _mask;
            _slots[i] = slot;
        }
    }
}

/// <summary>Maps a workspace to its ingest partition. Stable across processes and versions (XxHash32 of UTF-8).</summary>
public static class WorkspacePartitioner
{
    public static int PartitionOf(string workspaceId, int partitionCount)
    {
        Span<byte> buffer = stackalloc byte[Encoding.UTF8.GetMaxByteCount(workspaceId.Length)];
        var length = Encoding.UTF8.GetBytes(workspaceId, buffer);
        return (int)(XxHash32.HashToUInt32(buffer[..length]) % (uint)partitionCount);
    }
}
