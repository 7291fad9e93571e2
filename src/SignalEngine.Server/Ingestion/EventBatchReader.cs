using CommunityToolkit.HighPerformance.Buffers;
using System.Text;
using System.Buffers;
using System.Globalization;
using System.Text.Json;
using MessagePack;
using SignalEngine.Core.Events;

namespace SignalEngine.Server.Ingestion;

/// <summary>The body is not a batch at all (not JSON/MessagePack, or no "events" array): the whole request is a 400.</summary>
public sealed class MalformedBatchException(string message) : Exception(message);

/// <summary>
/// Reads <c>{"events":[…]}</c> from JSON or from a MessagePack map of the same shape into drafts.
/// A problem inside one event is recorded on that event's draft, so it is rejected alone.
/// </summary>
public static class EventBatchReader
{
    public const string JsonContentType = "application/json";
    public const string MessagePackContentType = "application/x-msgpack";

    public static List<EventDraft> ReadJson(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw new MalformedBatchException($"body is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new MalformedBatchException("body must be a JSON object {\"events\":[...]}");
            if (!root.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Array)
                throw new MalformedBatchException("body must have an \"events\" array");
            var drafts = new List<EventDraft>(events.GetArrayLength());
            foreach (var element in events.EnumerateArray()) drafts.Add(ReadJsonEvent(element));
            return drafts;
        }
    }

    private static EventDraft ReadJsonEvent(JsonElement element)
    {
        var draft = new EventDraft();
        if (element.ValueKind != JsonValueKind.Object)
        {
            draft.TypeError = $"event must be a JSON object, not {Describe(element.ValueKind)}";
            return draft;
        }
        foreach (var field in element.EnumerateObject())
        {
            var value = field.Value;
            switch (field.Name)
            {
                case "eventId": draft.EventId = JsonText(draft, "eventId", value); break;
                case "workspaceId": draft.WorkspaceId = JsonText(draft, "workspaceId", value); break;
                case "userId": draft.UserId = JsonText(draft, "userId", value); break;
                case "name": draft.Name = JsonText(draft, "name", value); break;
                case "timestamp": draft.Timestamp = JsonText(draft, "timestamp", value); break;
                case "properties": draft.Properties = JsonProperties(draft, value); break;
            }
        }
        return draft;
    }

    private static string? JsonText(EventDraft draft, string field, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind != JsonValueKind.Null) draft.TypeError ??= $"{field}: must be a string, not {Describe(value.ValueKind)}";
        return null;
    }

    private static Dictionary<string, PropertyValue>? JsonProperties(EventDraft draft, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            draft.TypeError ??= $"properties: must be an object, not {Describe(value.ValueKind)}";
            return null;
        }
        var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.String: properties[property.Name] = PropertyValue.Of(property.Value.GetString()!); break;
                case JsonValueKind.Number: properties[property.Name] = PropertyValue.Of(property.Value.GetDouble()); break;
                case JsonValueKind.True: properties[property.Name] = PropertyValue.Of(true); break;
                case JsonValueKind.False: properties[property.Name] = PropertyValue.Of(false); break;
                case JsonValueKind.Null: break;
                default:
                    draft.TypeError ??= $"properties.{property.Name}: must be a string, number or boolean (properties are flat), not {Describe(property.Value.ValueKind)}";
                    break;
            }
        }
        return properties;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    public static List<EventDraft> ReadMessagePack(ReadOnlyMemory<byte> body)
    {
        try
        {
            var reader = new MessagePackReader(body);
            if (reader.NextMessagePackType != MessagePackType.Map) throw new MalformedBatchException("MessagePack body must be a map {\"events\":[...]}");
            List<EventDraft>? drafts = null;
            for (var fields = reader.ReadMapHeader(); fields > 0; fields--)
            {
                var key = reader.NextMessagePackType == MessagePackType.String ? reader.ReadString() : null;
                if (key != "events")
                {
                    reader.Skip();
                    continue;
                }
                if (reader.NextMessagePackType != MessagePackType.Array) throw new MalformedBatchException("\"events\" must be a MessagePack array");
                var count = reader.ReadArrayHeader();
                drafts = new List<EventDraft>(count);
                for (var i = 0; i < count; i++) drafts.Add(ReadMessagePackEvent(ref reader));
            }
            if (!reader.End) throw new MalformedBatchException("unexpected bytes after the MessagePack map");
            return drafts ?? throw new MalformedBatchException("body must have an \"events\" array");
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException)
        {
            throw new MalformedBatchException($"body is not valid MessagePack: {ex.Message}");
        }
    }

    private static EventDraft ReadMessagePackEvent(ref MessagePackReader reader)
    {
        var draft = new EventDraft();
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            draft.TypeError = $"event must be a map, not {Describe(reader.NextMessagePackType)}";
            reader.Skip();
            return draft;
        }
        for (var fields = reader.ReadMapHeader(); fields > 0; fields--)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                draft.TypeError ??= "event keys must be strings";
                reader.Skip();
                reader.Skip();
                continue;
            }
            switch (ReadKey(ref reader))
            {
                case EventKey.EventId: draft.EventId = PackedText(ref reader, draft, "eventId", pooled: false); break;
                case EventKey.WorkspaceId: draft.WorkspaceId = PackedText(ref reader, draft, "workspaceId", pooled: true); break;
                case EventKey.UserId: draft.UserId = PackedText(ref reader, draft, "userId", pooled: true); break;
                case EventKey.Name: draft.Name = PackedText(ref reader, draft, "name", pooled: true); break;
                case EventKey.Timestamp: draft.Timestamp = PackedTimestamp(ref reader, draft); break;
                case EventKey.Properties: draft.Properties = PackedProperties(ref reader, draft); break;
                default: reader.Skip(); break;
            }
        }
        return draft;
    }

    /// <summary>
    /// Keys, workspace ids, user ids and event names repeat from event to event: they come from a bounded pool
    /// instead of a new string each. Fewer allocations on the hot path, and the workspaces that keep these
    /// strings as keys share one copy. Event ids are unique and never pooled.
    /// </summary>
    private static readonly StringPool Pool = new(65_536);

    private enum EventKey { Other, EventId, WorkspaceId, UserId, Name, Timestamp, Properties }

    /// <summary>An event's key, matched on its UTF-8 bytes: six keys per event need no string at all.</summary>
    private static EventKey ReadKey(ref MessagePackReader reader)
    {
        if (!reader.TryReadStringSpan(out var utf8))
        {
            return reader.ReadString() switch
            {
                "eventId" => EventKey.EventId,
                "workspaceId" => EventKey.WorkspaceId,
                "userId" => EventKey.UserId,
                "name" => EventKey.Name,
                "timestamp" => EventKey.Timestamp,
                "properties" => EventKey.Properties,
                _ => EventKey.Other,
            };
        }
        if (utf8.SequenceEqual("eventId"u8)) return EventKey.EventId;
        if (utf8.SequenceEqual("workspaceId"u8)) return EventKey.WorkspaceId;
        if (utf8.SequenceEqual("userId"u8)) return EventKey.UserId;
        if (utf8.SequenceEqual("name"u8)) return EventKey.Name;
        if (utf8.SequenceEqual("timestamp"u8)) return EventKey.Timestamp;
        return utf8.SequenceEqual("properties"u8) ? EventKey.Properties : EventKey.Other;
    }

    private static string? PooledString(ref MessagePackReader reader) =>
        reader.TryReadStringSpan(out var utf8) ? Pool.GetOrAdd(utf8, Encoding.UTF8) : reader.ReadString();

    private static string? PackedText(ref MessagePackReader reader, EventDraft draft, string field, bool pooled)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.String: return pooled ? PooledString(ref reader) : reader.ReadString();
            case MessagePackType.Nil: reader.ReadNil(); return null;
            default:
                draft.TypeError ??= $"{field}: must be a string, not {Describe(reader.NextMessagePackType)}";
                reader.Skip();
                return null;
        }
    }

    /// <summary>An RFC 3339 string, or MessagePack's native timestamp extension (always UTC).</summary>
    private static string? PackedTimestamp(ref MessagePackReader reader, EventDraft draft)
    {
        if (reader.NextMessagePackType == MessagePackType.Extension && reader.TryReadExtensionFormatHeader(out var header))
        {
            if (header.TypeCode != ReservedMessagePackExtensionTypeCode.DateTime)
            {
                draft.TypeError ??= $"timestamp: extension type {header.TypeCode} is not a MessagePack timestamp";
                reader.ReadRaw(header.Length);
                return null;
            }
            draft.Instant = new DateTimeOffset(reader.ReadDateTime(header), TimeSpan.Zero);
            return null;
        }
        return PackedText(ref reader, draft, "timestamp", pooled: false);
    }

    private static Dictionary<string, PropertyValue>? PackedProperties(ref MessagePackReader reader, EventDraft draft)
    {
        if (reader.TryReadNil()) return null;
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            draft.TypeError ??= $"properties: must be a map, not {Describe(reader.NextMessagePackType)}";
            reader.Skip();
            return null;
        }
        var properties = new Dictionary<string, PropertyValue>(StringComparer.Ordinal);
        for (var count = reader.ReadMapHeader(); count > 0; count--)
        {
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                draft.TypeError ??= "properties: keys must be strings";
                reader.Skip();
                reader.Skip();
                continue;
            }
            var key = PooledString(ref reader)!;
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.String: properties[key] = PropertyValue.Of(reader.ReadString()!); break;
                case MessagePackType.Integer: properties[key] = PropertyValue.Of(reader.ReadDouble()); break;
                case MessagePackType.Float: properties[key] = PropertyValue.Of(reader.ReadDouble()); break;
                case MessagePackType.Boolean: properties[key] = PropertyValue.Of(reader.ReadBoolean()); break;
                case MessagePackType.Nil: reader.ReadNil(); break;
                default:
                    draft.TypeError ??= $"properties.{key}: must be a string, number or boolean (properties are flat), not {Describe(reader.NextMessagePackType)}";
                    reader.Skip();
                    break;
            }
        }
        return properties;
    }

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Map => "a map",
        MessagePackType.Array => "an array",
        MessagePackType.String => "a string",
        MessagePackType.Integer or MessagePackType.Float => "a number",
        MessagePackType.Boolean => "a boolean",
        MessagePackType.Binary => "binary data",
        MessagePackType.Extension => "an extension value",
        _ => "nil",
    };
}
