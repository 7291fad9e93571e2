using System.Text.Json;
using System.Text.Json.Serialization;

namespace SignalEngine.Client;

/// <summary>The answer to <c>POST /v1/events</c> with status 202.</summary>
internal sealed record IngestAnswer(int Accepted, int Duplicates, IReadOnlyList<IngestRejection>? Rejected);

internal sealed record IngestRejection(int Index, string? EventId, string? Error);

/// <summary>The engine's error body, <c>{"error": …, "errors": […]}</c>.</summary>
internal sealed record ErrorAnswer(string? Error, IReadOnlyList<string>? Errors);

/// <summary>The data of <c>event: disconnect</c>.</summary>
internal sealed record DisconnectAnswer(string? Reason);

/// <summary>Source-generated (reflection-free, trimming-safe) JSON of the API: camelCase fields; enums use <see cref="SnakeCaseEnumConverter{T}"/>.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Play))]
[JsonSerializable(typeof(IngestAnswer))]
[JsonSerializable(typeof(ErrorAnswer))]
[JsonSerializable(typeof(DisconnectAnswer))]
internal sealed partial class ClientJson : JsonSerializerContext;

/// <summary>
/// snake_case enum values (<c>churn_risk</c>), as the API writes them. A value this client does not know
/// reads as the enum's zero value (<c>Unknown</c>) instead of failing, so a newer engine does not break
/// older subscribers.
/// </summary>
internal sealed class SnakeCaseEnumConverter<T> : JsonConverter<T> where T : struct, Enum
{
    private static readonly Dictionary<string, T> ByName = Enum.GetValues<T>().ToDictionary(v => JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()), v => v, StringComparer.Ordinal);
    private static readonly Dictionary<T, string> Names = ByName.ToDictionary(p => p.Value, p => p.Key);

    public static string Name(T value) => Names.TryGetValue(value, out var name) ? name : JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());

    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"{typeof(T).Name}: expected a string, got {reader.TokenType}");
        return ByName.TryGetValue(reader.GetString()!, out var value) ? value : default;
    }

    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
}
