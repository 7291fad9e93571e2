using System.Buffers;
using MessagePack;

namespace SignalEngine.Client;

/// <summary>One tracked event, already encoded, waiting to be sent.</summary>
internal sealed class PendingEvent(string eventId, string workspaceId, string name, byte[] encoded)
{
    /// <summary>Order of admission to the buffer, set as it is written: a flush waits for everything up to a sequence number.</summary>
    public long Sequence { get; set; }
    public string EventId { get; } = eventId;
    public string WorkspaceId { get; } = workspaceId;
    public string Name { get; } = name;
    public byte[] Encoded { get; } = encoded;
}

/// <summary>
/// The MessagePack body of <c>POST /v1/events</c>, written with the low-level writer: each event is
/// encoded once, at <c>Track</c> (so a retry re-sends the very same bytes and a batch's size is known
/// exactly), and a batch is the <c>{"events": [...]}</c> envelope around the encoded events.
/// </summary>
internal static class EventEncoding
{
    public const string ContentType = "application/x-msgpack";

    /// <summary>Upper bound of the envelope: fixmap(1) + "events" + array32 header.</summary>
    public const int EnvelopeBytes = 1 + 7 + 5;

    private static readonly byte[] EventsKey = Key("events");
    private static readonly byte[] EventIdKey = Key("eventId");
    private static readonly byte[] WorkspaceIdKey = Key("workspaceId");
    private static readonly byte[] UserIdKey = Key("userId");
    private static readonly byte[] NameKey = Key("name");
    private static readonly byte[] TimestampKey = Key("timestamp");
    private static readonly byte[] PropertiesKey = Key("properties");

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    public static byte[] Encode(string eventId, string workspaceId, string? userId, string name, DateTimeOffset timestamp, EventProperties? properties)
    {
        var buffer = t_scratch ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        var hasProperties = properties is { Count: > 0 };
        writer.WriteMapHeader(4 + (userId is null ? 0 : 1) + (hasProperties ? 1 : 0));
        writer.WriteRaw(EventIdKey);
        writer.Write(eventId);
        writer.WriteRaw(WorkspaceIdKey);
        writer.Write(workspaceId);
        if (userId is not null)
        {
            writer.WriteRaw(UserIdKey);
            writer.Write(userId);
        }
        writer.WriteRaw(NameKey);
        writer.Write(name);
        writer.WriteRaw(TimestampKey);
        writer.Write(timestamp.UtcDateTime); // MessagePack's timestamp extension (type -1)
        if (hasProperties)
        {
            writer.WriteRaw(PropertiesKey);
            writer.WriteMapHeader(properties!.Count);
            foreach (var (key, value) in properties.Values)
            {
                writer.Write(key);
                switch (value.Kind)
                {
                    case PropertyKind.String: writer.Write(value.Text); break;
                    case PropertyKind.Integer: writer.Write(value.Integer); break;
                    case PropertyKind.Number: writer.Write(value.Number); break;
                    default: writer.Write(value.Boolean); break;
                }
            }
        }
        writer.Flush();
        var encoded = buffer.WrittenSpan.ToArray();
        // Don't let one huge event pin a huge scratch buffer to the thread.
        if (buffer.Capacity > 64 * 1024) t_scratch = null;
        return encoded;
    }

    /// <summary>The request body: the envelope, then each encoded event as is.</summary>
    public static byte[] Batch(IReadOnlyList<PendingEvent> events)
    {
        var size = EnvelopeBytes;
        foreach (var e in events) size += e.Encoded.Length;
        var buffer = new ArrayBufferWriter<byte>(size);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(1);
        writer.WriteRaw(EventsKey);
        writer.WriteArrayHeader(events.Count);
        foreach (var e in events) writer.WriteRaw(e.Encoded);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] Key(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.Write(text);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
