using System.Buffers;
using MessagePack;
using SignalEngine.Core.Events;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// The log's payload: one workspace's events of one append, as a MessagePack array of
/// [eventId, userId, name, timestampTicks, properties]. Compact, and readable without the engine.
/// </summary>
public static class EventPayloadCodec
{
    public static byte[] Encode(IReadOnlyList<UsageEvent> events)
    {
        var buffer = new ArrayBufferWriter<byte>(64 * events.Count + 16);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(events.Count);
        foreach (var e in events)
        {
            writer.WriteArrayHeader(5);
            writer.Write(e.EventId);
            writer.Write(e.UserId);
            writer.Write(e.Name);
            writer.Write(e.Timestamp.UtcTicks);
            if (e.Properties is { Count: > 0 } properties)
            {
                writer.WriteMapHeader(properties.Count);
                foreach (var (key, value) in properties)
                {
                    writer.Write(key);
                    switch (value.Kind)
                    {
                        case PropertyKind.String: writer.Write(value.Text); break;
                        case PropertyKind.Number: writer.Write(value.Number); break;
                        default: writer.Write(value.Boolean); break;
                    }
                }
            }
            else
            {
                writer.WriteNil();
            }
        }
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static UsageEvent[] Decode(string workspaceId, ReadOnlyMemory<byte> payload)
    {
        var reader = new MessagePackReader(payload);
        var events = new UsageEvent[reader.ReadArrayHeader()];
        for (var i = 0; i < events.Length; i++)
        {
            reader.ReadArrayHeader();
            var eventId = reader.ReadString()!;
            var userId = reader.ReadString();
            var name = reader.ReadString()!;
            var ticks = reader.ReadInt64();
            Dictionary<string, PropertyValue>? properties = null;
            if (!reader.TryReadNil())
            {
                var count = reader.ReadMapHeader();
                properties = new Dictionary<string, PropertyValue>(count, StringComparer.Ordinal);
                for (var p = 0; p < count; p++)
                {
                    var key = reader.ReadString()!;
                    properties[key] = reader.NextMessagePackType switch
                    {
                        MessagePackType.String => PropertyValue.Of(reader.ReadString()!),
                        MessagePackType.Boolean => PropertyValue.Of(reader.ReadBoolean()),
                        _ => PropertyValue.Of(reader.ReadDouble()),
                    };
                }
            }
            events[i] = new UsageEvent(eventId, workspaceId, userId, name, new DateTimeOffset(ticks, TimeSpan.Zero), properties);
        }
        return events;
    }

    /// <summary>Only the event ids, for rebuilding a partition's de-duplication window.</summary>
    public static IEnumerable<string> EventIds(ReadOnlyMemory<byte> payload)
    {
        var ids = new List<string>();
        var reader = new MessagePackReader(payload);
        var count = reader.ReadArrayHeader();
        for (var i = 0; i < count; i++)
        {
            var fields = reader.ReadArrayHeader();
            ids.Add(reader.ReadString()!);
            for (var f = 1; f < fields; f++) reader.Skip();
        }
        return ids;
    }
}
