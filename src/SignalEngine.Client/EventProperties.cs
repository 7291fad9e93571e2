using System.Collections;

namespace SignalEngine.Client;

/// <summary>
/// The flat properties of one event: string, number or boolean values only, as the engine accepts them.
/// The typed <c>Add</c> overloads make a wrong value type a compile error:
/// <code>new EventProperties { { "limit", "api_calls" }, { "used", 10_000 }, { "beta", true } }</code>
/// A null string is left out (the engine ignores null values). A key may be added once.
/// </summary>
public sealed class EventProperties : IEnumerable<KeyValuePair<string, object>>
{
    private readonly Dictionary<string, PropertyValue> _values = new(StringComparer.Ordinal);

    /// <summary>How many properties are set.</summary>
    public int Count => _values.Count;

    /// <summary>Adds a string value; null is left out.</summary>
    public void Add(string key, string? value)
    {
        if (value is not null) Put(key, new PropertyValue(value));
    }

    /// <summary>Adds a whole number.</summary>
    public void Add(string key, long value) => Put(key, new PropertyValue(value));

    /// <summary>Adds a number.</summary>
    public void Add(string key, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(nameof(value), value, $"property '{key}': not a finite number");
        Put(key, new PropertyValue(value));
    }

    /// <summary>Adds a decimal number (sent as a double).</summary>
    public void Add(string key, decimal value) => Put(key, new PropertyValue((double)value));

    /// <summary>Adds a boolean.</summary>
    public void Add(string key, bool value) => Put(key, new PropertyValue(value));

    /// <summary>
    /// Copies pairs whose value type is only known at run time, e.g. a <c>Dictionary&lt;string, object&gt;</c>;
    /// throws <see cref="ArgumentException"/> naming the key of a value that is not a string, number or
    /// boolean. Null values are left out.
    /// </summary>
    public static EventProperties From<TValue>(IEnumerable<KeyValuePair<string, TValue>> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var properties = new EventProperties();
        foreach (var (key, typed) in pairs)
        {
            object? value = typed;
            switch (value)
            {
                case null: break;
                case string s: properties.Add(key, s); break;
                case bool b: properties.Add(key, b); break;
                case byte or sbyte or short or ushort or int or uint or long: properties.Add(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case ulong u when u <= long.MaxValue: properties.Add(key, (long)u); break;
                case float or double or ulong: properties.Add(key, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                case decimal m: properties.Add(key, m); break;
                default: throw new ArgumentException($"property '{key}': {value.GetType().Name} is not a string, number or boolean", nameof(pairs));
            }
        }
        return properties;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<string, object>> GetEnumerator() =>
        _values.Select(p => new KeyValuePair<string, object>(p.Key, p.Value.Boxed)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    internal Dictionary<string, PropertyValue> Values => _values;

    private void Put(string key, PropertyValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (!_values.TryAdd(key, value)) throw new ArgumentException($"property '{key}' is set twice", nameof(key));
    }
}

internal enum PropertyKind { String, Integer, Number, Boolean }

internal readonly record struct PropertyValue
{
    public PropertyValue(string value) => (Kind, Text) = (PropertyKind.String, value);

    public PropertyValue(long value) => (Kind, Integer) = (PropertyKind.Integer, value);

    public PropertyValue(double value) => (Kind, Number) = (PropertyKind.Number, value);

    public PropertyValue(bool value) => (Kind, Boolean) = (PropertyKind.Boolean, value);

    public PropertyKind Kind { get; }
    public string? Text { get; }
    public long Integer { get; }
    public double Number { get; }
    public bool Boolean { get; }

    public object Boxed => Kind switch
    {
        PropertyKind.String => Text!,
        PropertyKind.Integer => Integer,
        PropertyKind.Number => Number,
        _ => Boolean,
    };
}
