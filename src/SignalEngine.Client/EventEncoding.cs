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


    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    public static byte[] Encode(string eventId, string workspaceId, string? userId, string name, DateTimeOffset timestamp, EventProperties? properties)
    {
        var buffer = t_scratch ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = new MessagePackWriter(buffer);
        var hasProperties = properties is { Count: > 0 };
        writer.WriteMapHeader(4 + (userId is null ? 0 : 1) + (hasProperties ? 1 : 0));
        writer.WriteRaw(EventWireKeys.EventId.Span);
        writer.Write(eventId);
        writer.WriteRaw(EventWireKeys.WorkspaceId.Span);
        writer.Write(workspaceId);
        if (userId is not null)
        {
            writer.WriteRaw(EventWireKeys.UserId.Span);
            writer.Write(userId);
        }
        writer.WriteRaw(EventWireKeys.Name.Span);
        writer.Write(name);
        writer.WriteRaw(EventWireKeys.Timestamp.Span);
        writer.Write(timestamp.UtcDateTime); // MessagePack's timestamp extension (type -1)
        if (hasProperties)
        {
            writer.WriteRaw(EventWireKeys.Properties.Span);
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
        writer.WriteRaw(EventWireKeys.Events.Span);
        writer.WriteArrayHeader(events.Count);
        foreach (var e in events) writer.WriteRaw(e.Encoded);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>
/// The keys of <c>POST /v1/events</c>'s MessagePack body, already encoded as MessagePack strings, for writers
/// that emit the body field by field (this SDK, and the load generator).
/// </summary>
public static class EventWireKeys
{
    /// <summary>The envelope's only key: <c>"events"</c>.</summary>
    public static readonly ReadOnlyMemory<byte> Events = Key("events");
    /// <summary><c>"eventId"</c>.</summary>
    public static readonly ReadOnlyMemory<byte> EventId = Key("eventId");
    /// <summary><c>"workspaceId"</c>.</summary>
    public static readonly ReadOnlyMemory<byte> WorkspaceId = Key("workspaceId");
    /// <summary><c>"userId"</c>.</summary>
    public static readonly ReadOnlyMemory<byte> UserId = Key("userId");
    /// <summary><c>"name"</c>.</summary>
    public static readonly ReadOnlyMemory<byte> Name = Key("name");
    /// <summary><c>"timestamp"</c> (an RFC 3339 string or MessagePack's timestamp extension).</summary>
    public static readonly ReadOnlyMemory<byte> Timestamp = Key("timestamp");
    /// <summary><c>"properties"</c> (a flat map).</summary>
    public static readonly ReadOnlyMemory<byte> Properties = Key("properties");

    private static byte[] Key(string text)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.Write(text);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
