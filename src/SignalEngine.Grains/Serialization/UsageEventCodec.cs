using SignalEngine.Core.Events;

namespace SignalEngine.Grains.Serialization;

/// <summary>
/// Wire form of <see cref="UsageEvent"/> for grain calls and stream batches. Events are the hot
/// path, so they get a generated binary codec rather than the JSON one the other Core types use.
/// </summary>
[GenerateSerializer]
public struct UsageEventSurrogate
{
    [Id(0)] public string EventId;
    [Id(1)] public string WorkspaceId;
    [Id(2)] public string? UserId;
    [Id(3)] public string Name;
    [Id(4)] public long TimestampTicks;
    [Id(5)] public PropertySurrogate[]? Properties;
}

[GenerateSerializer]
public struct PropertySurrogate
{
    [Id(0)] public string Key;
    [Id(1)] public PropertyKind Kind;
    [Id(2)] public string? Text;
    [Id(3)] public double Number;
}

[RegisterConverter]
public sealed class UsageEventConverter : IConverter<UsageEvent, UsageEventSurrogate>
{
    public UsageEvent ConvertFromSurrogate(in UsageEventSurrogate surrogate)
    {
        Dictionary<string, PropertyValue>? properties = null;
        if (surrogate.Properties is { } items)
        {
            properties = new Dictionary<string, PropertyValue>(items.Length, StringComparer.Ordinal);
            foreach (var item in items)
            {
                properties[item.Key] = item.Kind switch
                {
                    PropertyKind.String => PropertyValue.Of(item.Text ?? ""),
                    PropertyKind.Number => PropertyValue.Of(item.Number),
                    _ => PropertyValue.Of(item.Number != 0),
                };
            }
        }
        return new UsageEvent(surrogate.EventId, surrogate.WorkspaceId, surrogate.UserId, surrogate.Name,
            new DateTimeOffset(surrogate.TimestampTicks, TimeSpan.Zero), properties);
    }

    public UsageEventSurrogate ConvertToSurrogate(in UsageEvent value)
    {
        PropertySurrogate[]? properties = null;
        if (value.Properties is { Count: > 0 } source)
        {
            properties = new PropertySurrogate[source.Count];
            var i = 0;
            foreach (var (key, property) in source)
                properties[i++] = new PropertySurrogate { Key = key, Kind = property.Kind, Text = property.Text, Number = property.Number };
        }
        return new UsageEventSurrogate
        {
            EventId = value.EventId,
            WorkspaceId = value.WorkspaceId,
            UserId = value.UserId,
            Name = value.Name,
            TimestampTicks = value.Timestamp.UtcTicks,
            Properties = properties,
        };
    }
}
