using System.Text.Json;
using System.Text.Json.Serialization;

namespace SignalEngine.Server.Api;

/// <summary>The JSON shape of the public API: camelCase fields, snake_case enum values (e.g. "churn_risk", "account_manager").</summary>
public static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.NumberHandling = JsonNumberHandling.Strict;
        // The API is JSON for machines and terminals, never embedded in HTML: keep ' < > & readable.
        options.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        return options;
    }

    public static IResult Error(int status, string message, IEnumerable<string>? errors = null) =>
        Results.Json(new ErrorBody(message, errors?.ToArray()), Options, statusCode: status);

    public sealed record ErrorBody(string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Errors);
}
