using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using MessagePack;
using SignalEngine.Client;

namespace SignalEngine.LoadTests;

/// <summary>
/// Writes a batch as the body of <c>POST /v1/events</c>, field by field from pre-encoded UTF-8: no
/// serializer reflection and no per-event strings. One instance per sender; not thread-safe.
/// </summary>
internal abstract class BatchEncoder
{
    private readonly byte[] _idPrefix;
    private readonly Workload _workload;

    // Reused scratch for formatted ids: heap arrays, because MessagePackWriter (compiled without
    // 'scoped' annotations) may not be handed stackalloc'd spans.
    protected byte[] IdScratch { get; } = new byte[96];
    protected byte[] UserScratch { get; } = new byte[16];

    protected BatchEncoder(Workload workload, int sender)
    {
        _workload = workload;
        _idPrefix = Encoding.UTF8.GetBytes($"{workload.RunId}-{sender:x}-");
    }

    public abstract MediaTypeHeaderValue ContentType { get; }

    public static BatchEncoder For(BodyFormat format, Workload workload, int sender) => format == BodyFormat.Json
        ? new JsonBatchEncoder(workload, sender)
        : new MessagePackBatchEncoder(workload, sender);

    public void Encode(EventBatch batch)
    {
        batch.Body.ResetWrittenCount();
        Write(batch, _workload);
    }

    protected abstract void Write(EventBatch batch, Workload workload);

    protected int FormatEventId(Span<byte> destination, long sequence)
    {
        _idPrefix.CopyTo(destination);
        sequence.TryFormat(destination[_idPrefix.Length..], out var written, default, CultureInfo.InvariantCulture);
        return _idPrefix.Length + written;
    }

    protected static int FormatUserId(Span<byte> destination, int user)
    {
        destination[0] = (byte)'u';
        user.TryFormat(destination[1..], out var written, default, CultureInfo.InvariantCulture);
        return 1 + written;
    }
}

/// <summary>The map <c>{"events":[{...}]}</c> in MessagePack; timestamps use MessagePack's native timestamp extension.</summary>
internal sealed class MessagePackBatchEncoder(Workload workload, int sender) : BatchEncoder(workload, sender)
{
    private static readonly MediaTypeHeaderValue MediaType = new("application/x-msgpack");

    public override MediaTypeHeaderValue ContentType => MediaType;

    protected override void Write(EventBatch batch, Workload workload)
    {
        var id = IdScratch.AsSpan();
        var user = UserScratch.AsSpan();
        var writer = new MessagePackWriter(batch.Body);
        var at = batch.Timestamp ?? DateTime.UtcNow;
        writer.WriteMapHeader(1);
        writer.WriteRaw(EventWireKeys.Events.Span);
        writer.WriteArrayHeader(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var name = batch.Name[i];
            writer.WriteMapHeader(name.PropertyKey is null ? 5 : 6);
            writer.WriteRaw(EventWireKeys.EventId.Span);
            writer.WriteString(id[..FormatEventId(id, batch.FirstSequence + i)]);
            writer.WriteRaw(EventWireKeys.WorkspaceId.Span);
            writer.WriteString(workload.WorkspaceIdUtf8[batch.Workspace[i]]);
            writer.WriteRaw(EventWireKeys.UserId.Span);
            writer.WriteString(user[..FormatUserId(user, batch.User[i])]);
            writer.WriteRaw(EventWireKeys.Name.Span);
            writer.WriteString(name.Utf8);
            writer.WriteRaw(EventWireKeys.Timestamp.Span);
            writer.Write(at);
            if (name.PropertyKey is { } key)
            {
                writer.WriteRaw(EventWireKeys.Properties.Span);
                writer.WriteMapHeader(1);
                writer.WriteString(key);
                writer.WriteString(name.PropertyValue);
            }
        }
        writer.Flush();
    }
}

/// <summary>The same batch as JSON through a reused <see cref="Utf8JsonWriter"/>; timestamps as RFC 3339 UTC.</summary>
internal sealed class JsonBatchEncoder : BatchEncoder
{
    private static readonly MediaTypeHeaderValue MediaType = new("application/json");
    private static readonly JsonEncodedText EventsKey = JsonEncodedText.Encode("events");
    private static readonly JsonEncodedText EventIdKey = JsonEncodedText.Encode("eventId");
    private static readonly JsonEncodedText WorkspaceIdKey = JsonEncodedText.Encode("workspaceId");
    private static readonly JsonEncodedText UserIdKey = JsonEncodedText.Encode("userId");
    private static readonly JsonEncodedText NameKey = JsonEncodedText.Encode("name");
    private static readonly JsonEncodedText TimestampKey = JsonEncodedText.Encode("timestamp");
    private static readonly JsonEncodedText PropertiesKey = JsonEncodedText.Encode("properties");

    // Values are generated ASCII identifiers: validation would only cost time.
    private readonly Utf8JsonWriter _writer = new(new ArrayBufferWriter<byte>(), new JsonWriterOptions { SkipValidation = true });

    public JsonBatchEncoder(Workload workload, int sender) : base(workload, sender)
    {
    }

    public override MediaTypeHeaderValue ContentType => MediaType;

    protected override void Write(EventBatch batch, Workload workload)
    {
        var id = IdScratch.AsSpan();
        var user = UserScratch.AsSpan();
        var writer = _writer;
        var at = batch.Timestamp ?? DateTime.UtcNow;
        writer.Reset(batch.Body);
        writer.WriteStartObject();
        writer.WriteStartArray(EventsKey);
        for (var i = 0; i < batch.Count; i++)
        {
            var name = batch.Name[i];
            writer.WriteStartObject();
            writer.WriteString(EventIdKey, id[..FormatEventId(id, batch.FirstSequence + i)]);
            writer.WriteString(WorkspaceIdKey, workload.WorkspaceIdUtf8[batch.Workspace[i]]);
            writer.WriteString(UserIdKey, user[..FormatUserId(user, batch.User[i])]);
            writer.WriteString(NameKey, name.Utf8);
            writer.WriteString(TimestampKey, at);
            if (name.PropertyKey is { } key)
            {
                writer.WriteStartObject(PropertiesKey);
                writer.WriteString(key, name.PropertyValue);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }
}
