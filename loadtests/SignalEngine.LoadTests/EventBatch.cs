using System.Buffers;

namespace SignalEngine.LoadTests;

/// <summary>
/// One request's worth of events, owned by one sender and reused for every batch it sends: the event
/// slots, and the encoded body, which a retry sends again byte for byte (same event ids, so idempotent).
/// </summary>
internal sealed class EventBatch(int capacity)
{
    public const int MaxCrossingsPerBatch = 8;

    public int Capacity { get; } = capacity;
    public int Count { get; set; }

    /// <summary>Event i's id is the sender's prefix followed by <c>FirstSequence + i</c>.</summary>
    public long FirstSequence { get; set; }
    /// <summary>The events' time; null means the moment they are encoded (live traffic).</summary>
    public DateTime? Timestamp { get; set; }
    public int[] Workspace { get; } = new int[capacity];
    public int[] User { get; } = new int[capacity];
    public EventName[] Name { get; } = new EventName[capacity];

    /// <summary>Slots holding an injected limit.reached.</summary>
    public List<int> CrossingSlots { get; } = new(MaxCrossingsPerBatch);
    public ArrayBufferWriter<byte> Body { get; } = new(Math.Max(256, capacity * 160));
}
