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
    /// About 48 bytes each.
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
    private readonly Dictionary<UInt128, long> _seen = [];
    private readonly Queue<(UInt128 Key, long ReceivedAt)> _order = new();

    public int Count => _seen.Count;

    /// <summary>Records the id as seen at <paramref name="now"/>; false if it was already in the window.</summary>
    public bool TryAdd(string workspaceId, string eventId, DateTimeOffset now)
    {
        Expire(now);
        var key = KeyOf(workspaceId, eventId);
        if (!_seen.TryAdd(key, now.UtcTicks)) return false;
        _order.Enqueue((key, now.UtcTicks));
        // Bound the queue, not only the map: ids forgotten after a failed hand-off leave entries behind.
        while (_order.Count > options.MaxIdsPerPartition) RemoveIfCurrent(_order.Dequeue());
        return true;
    }

    /// <summary>Forgets an id recorded by <see cref="TryAdd"/> whose event could not be handed on, so a retry is accepted.</summary>
    public void Forget(string workspaceId, string eventId) => _seen.Remove(KeyOf(workspaceId, eventId));

    public bool Contains(string workspaceId, string eventId) => _seen.ContainsKey(KeyOf(workspaceId, eventId));

    private void Expire(DateTimeOffset now)
    {
        var horizon = (now - options.Window).UtcTicks;
        while (_order.TryPeek(out var oldest) && oldest.ReceivedAt < horizon)
        {
            RemoveIfCurrent(_order.Dequeue());
        }
    }

    // A forgotten-then-re-added id has a newer entry in the map: keep that one.
    private void RemoveIfCurrent((UInt128 Key, long ReceivedAt) entry)
    {
        if (_seen.TryGetValue(entry.Key, out var at) && at == entry.ReceivedAt) _seen.Remove(entry.Key);
    }

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
        var key = XxHash128.HashToUInt128(buffer);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return key;
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
