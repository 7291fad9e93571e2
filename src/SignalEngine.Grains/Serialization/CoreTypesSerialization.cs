using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Serialization;
using SignalEngine.Core.Events;

namespace SignalEngine.Grains.Serialization;

/// <summary>
/// Core stays free of Orleans, so its records (plays, profiles, views) cross grain boundaries through
/// Orleans' System.Text.Json codec; <see cref="UsageEvent"/> has its own surrogate (hot path).
/// </summary>
public static class CoreTypesSerialization
{
    public static ISerializerBuilder AddSignalEngineTypes(this ISerializerBuilder builder)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General);
        options.Converters.Add(new PropertyValueJsonConverter());
        return builder.AddJsonSerializer(IsCoreType, options);
    }

    private static bool IsCoreType(Type type) =>
        type.Namespace?.StartsWith("SignalEngine.Core", StringComparison.Ordinal) == true && type != typeof(UsageEvent);

    private sealed class PropertyValueJsonConverter : JsonConverter<PropertyValue>
    {
        public override PropertyValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => PropertyValue.Of(reader.GetString()!),
            JsonTokenType.Number => PropertyValue.Of(reader.GetDouble()),
            JsonTokenType.True => PropertyValue.Of(true),
            JsonTokenType.False => PropertyValue.Of(false),
            _ => throw new JsonException($"unexpected {reader.TokenType} for a property value"),
        };

        public override void Write(Utf8JsonWriter writer, PropertyValue value, JsonSerializerOptions options)
        {
            switch (value.Kind)
            {
                case PropertyKind.String: writer.WriteStringValue(value.Text); break;
                case PropertyKind.Number: writer.WriteNumberValue(value.Number); break;
                default: writer.WriteBooleanValue(value.Boolean); break;
            }
        }
    }
}
