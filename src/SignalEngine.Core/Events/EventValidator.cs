using System.Globalization;

namespace SignalEngine.Core.Events;

/// <summary>
/// An event as it came off the wire, before validation. Readers of JSON and MessagePack fill it;
/// a field of the wrong type is recorded in <see cref="TypeError"/> so the validator can name it.
/// </summary>
public sealed class EventDraft
{
    public string? EventId { get; set; }
    public string? WorkspaceId { get; set; }
    public string? UserId { get; set; }
    public string? Name { get; set; }
    public string? Timestamp { get; set; }

    /// <summary>A timestamp that arrived as an instant already (MessagePack's timestamp extension): no text to parse.</summary>
    public DateTimeOffset? Instant { get; set; }
    public Dictionary<string, PropertyValue>? Properties { get; set; }

    /// <summary>First structural problem met while reading (wrong type, nested property, ...).</summary>
    public string? TypeError { get; set; }
}

/// <summary>Limits applied to every incoming event; all configurable.</summary>
public sealed record EventLimits
{
    public int MaxIdLength { get; init; } = 128;
    public int MaxNameLength { get; init; } = 128;
    public int MaxUserIdLength { get; init; } = 256;
    public int MaxProperties { get; init; } = 64;
    public int MaxPropertyKeyLength { get; init; } = 128;
    public int MaxPropertyStringLength { get; init; } = 1024;

    /// <summary>Events older than this (by event time) are rejected: baselines do not reach further back.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Events further ahead than this are rejected: a clock skew, not a future usage.</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>Outcome of validating one draft: exactly one of <see cref="Event"/> and <see cref="Error"/> is set.</summary>
public readonly record struct ValidatedEvent(UsageEvent? Event, string? Error);

/// <summary>Turns drafts into <see cref="UsageEvent"/>s, or into an error naming the field and the reason.</summary>
public sealed class EventValidator(EventLimits limits, TimeProvider clock)
{
    public EventLimits Limits => limits;

    public ValidatedEvent Validate(EventDraft draft)
    {
        if (draft.TypeError is not null) return Fail(draft.TypeError);

        if (Identifier("eventId", draft.EventId, limits.MaxIdLength, required: true) is { } idError) return Fail(idError);
        if (Identifier("workspaceId", draft.WorkspaceId, limits.MaxIdLength, required: true) is { } wsError) return Fail(wsError);
        if (draft.UserId is not null && FreeText("userId", draft.UserId, limits.MaxUserIdLength) is { } userError) return Fail(userError);
        if (Identifier("name", draft.Name, limits.MaxNameLength, required: true) is { } nameError) return Fail(nameError);

        DateTimeOffset timestamp;
        if (draft.Instant is { } instant) timestamp = instant.ToUniversalTime();
        else if (string.IsNullOrEmpty(draft.Timestamp)) return Fail("timestamp: required (RFC 3339, e.g. 2026-11-23T10:15:00Z)");
        else if (!TryParseRfc3339(draft.Timestamp, out timestamp))
            return Fail($"timestamp: '{Truncate(draft.Timestamp)}' is not an RFC 3339 date-time with an offset (e.g. 2026-11-23T10:15:00Z)");
        var now = clock.GetUtcNow();
        if (timestamp < now - limits.Retention)
            return Fail($"timestamp: {timestamp:O} is older than the retention window of {limits.Retention.TotalDays:0.##} days");
        if (timestamp > now + limits.MaxFutureSkew)
            return Fail($"timestamp: {timestamp:O} is more than {limits.MaxFutureSkew.TotalMinutes:0} minutes in the future");

        if (draft.Properties is { } properties)
        {
            if (properties.Count > limits.MaxProperties)
                return Fail($"properties: {properties.Count} entries, at most {limits.MaxProperties} allowed");
            foreach (var (key, value) in properties)
            {
                if (key.Length == 0 || key.Length > limits.MaxPropertyKeyLength)
                    return Fail($"properties: key '{Truncate(key)}' must be 1 to {limits.MaxPropertyKeyLength} characters");
                if (value.Kind == PropertyKind.String && value.Text!.Length > limits.MaxPropertyStringLength)
                    return Fail($"properties.{key}: string longer than {limits.MaxPropertyStringLength} characters");
                if (value.Kind == PropertyKind.Number && !double.IsFinite(value.Number))
                    return Fail($"properties.{key}: number must be finite");
            }
        }

        var userId = string.IsNullOrEmpty(draft.UserId) ? null : draft.UserId;
        IReadOnlyDictionary<string, PropertyValue>? props = draft.Properties is { Count: > 0 } p ? p : null;
        return new ValidatedEvent(new UsageEvent(draft.EventId!, draft.WorkspaceId!, userId, draft.Name!, timestamp, props), null);
    }

    /// <summary>Identifiers: printable ASCII without spaces, so they are safe in URLs, logs and play ids.</summary>
    public static string? Identifier(string field, string? value, int maxLength, bool required)
    {
        if (string.IsNullOrEmpty(value)) return required ? $"{field}: required" : null;
        if (value.Length > maxLength) return $"{field}: longer than {maxLength} characters";
        foreach (var c in value)
        {
            if (c <= ' ' || c > '~' || c == '/' || c == '?' || c == '#' || c == '%')
                return $"{field}: '{Truncate(value)}' contains '{(c <= ' ' ? "whitespace or control character" : c.ToString())}'; allowed are printable ASCII characters except space / ? # %";
        }
        return null;
    }

    private static string? FreeText(string field, string value, int maxLength)
    {
        if (value.Length > maxLength) return $"{field}: longer than {maxLength} characters";
        foreach (var c in value)
            if (char.IsControl(c)) return $"{field}: contains a control character";
        return null;
    }

    /// <summary>
    /// RFC 3339 date-time: <c>yyyy-MM-ddTHH:mm:ss[.fraction](Z|±hh:mm)</c>, 'T' or a space between date and
    /// time. An explicit offset is required (a bare local time is ambiguous), and nothing else is guessed:
    /// slash dates or month names are rejected rather than read in some culture's order.
    /// </summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        // Read by position rather than by a regular expression: this runs once per ingested event.
        value = default;
        var s = text.AsSpan();
        if (s.Length < 20
            || !TryDigits(s, 0, 4, out var year) || s[4] != '-' || !TryDigits(s, 5, 2, out var month) || s[7] != '-' || !TryDigits(s, 8, 2, out var day)
            || s[10] is not ('T' or 't' or ' ')
            || !TryDigits(s, 11, 2, out var hour) || s[13] != ':' || !TryDigits(s, 14, 2, out var minute) || s[16] != ':' || !TryDigits(s, 17, 2, out var second))
        {
            return false;
        }
        var i = 19;
        long fractionTicks = 0;
        if (s[i] == '.')
        {
            // Ticks are 100 ns: keep 7 digits, drop finer ones (nanosecond clients); at most 9 are accepted.
            var start = ++i;
            for (; i < s.Length && char.IsAsciiDigit(s[i]); i++)
                if (i - start < 7) fractionTicks = fractionTicks * 10 + (s[i] - '0');
            var digits = i - start;
            if (digits is < 1 or > 9) return false;
            for (var k = digits; k < 7; k++) fractionTicks *= 10;
        }
        if (i >= s.Length) return false;
        var offset = TimeSpan.Zero;
        if (s[i] is 'Z' or 'z')
        {
            i++;
        }
        else if (s[i] is '+' or '-')
        {
            if (s.Length - i < 6 || !TryDigits(s, i + 1, 2, out var offsetHours) || s[i + 3] != ':' || !TryDigits(s, i + 4, 2, out var offsetMinutes) || offsetMinutes > 59)
                return false;
            offset = new TimeSpan(offsetHours, offsetMinutes, 0);
            if (s[i] == '-') offset = -offset;
            if (offset.Duration() > TimeSpan.FromHours(14)) return false;
            i += 6;
        }
        else
        {
            return false;
        }
        if (i != s.Length) return false;
        try
        {
            var local = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified);
            value = new DateTimeOffset(local.AddTicks(fractionTicks), offset).ToUniversalTime();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // e.g. February 30th, hour 24
        }
    }

    private static bool TryDigits(ReadOnlySpan<char> s, int at, int count, out int number)
    {
        number = 0;
        for (var k = at; k < at + count; k++)
        {
            if (!char.IsAsciiDigit(s[k])) return false;
            number = number * 10 + (s[k] - '0');
        }
        return true;
    }

    private static ValidatedEvent Fail(string error) => new(null, error);

    private static string Truncate(string text) => text.Length <= 64 ? text : text[..61] + "...";
}
