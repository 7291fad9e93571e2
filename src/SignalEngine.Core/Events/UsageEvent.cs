namespace SignalEngine.Core.Events;

/// <summary>One usage event from a product app, CRM, support or survey tool, already validated.</summary>
/// <param name="Timestamp">Event time, always UTC.</param>
public sealed record UsageEvent(
    string EventId,
    string WorkspaceId,
    string? UserId,
    string Name,
    DateTimeOffset Timestamp,
    IReadOnlyDictionary<string, PropertyValue>? Properties = null)
{
    /// <summary>The UTC day of the event, counted from 1970-01-01; the unit all baselines are bucketed by.</summary>
    public int Day => EventDay.Of(Timestamp);
}

/// <summary>Converts instants to UTC day numbers (days since the Unix epoch).</summary>
public static class EventDay
{
    // Whole ticks, floored (towards earlier days before 1970): TotalDays is a double and would round the
    // last tick of a day into the next. Integer division: this runs for every event.
    public static int Of(DateTimeOffset instant)
    {
        var ticks = instant.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var day = ticks / TimeSpan.TicksPerDay;
        return (int)(ticks < 0 && day * TimeSpan.TicksPerDay != ticks ? day - 1 : day);
    }

    public static DateTimeOffset Start(int day) => DateTimeOffset.FromUnixTimeSeconds(day * 86_400L);
}

public enum PropertyKind : byte { String, Number, Boolean }

/// <summary>A flat property value: string, number or boolean (nested objects are rejected at ingestion).</summary>
public readonly record struct PropertyValue
{
    private PropertyValue(PropertyKind kind, string? text, double number)
    {
        Kind = kind;
        Text = text;
        Number = number;
    }

    public PropertyKind Kind { get; }
    public string? Text { get; }
    public double Number { get; }
    public bool Boolean => Kind == PropertyKind.Boolean && Number != 0;

    public static PropertyValue Of(string text) => new(PropertyKind.String, text, 0);
    public static PropertyValue Of(double number) => new(PropertyKind.Number, null, number);
    public static PropertyValue Of(bool flag) => new(PropertyKind.Boolean, null, flag ? 1 : 0);

    public override string ToString() => Kind switch
    {
        PropertyKind.String => Text ?? "",
        PropertyKind.Number => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Boolean ? "true" : "false",
    };
}
