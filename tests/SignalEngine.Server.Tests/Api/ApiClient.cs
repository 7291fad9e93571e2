using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MessagePack;
using MessagePack.Resolvers;

namespace SignalEngine.Server.Tests.Api;

/// <summary>Builds request bodies the way a product app would, and reads the API's JSON answers.</summary>
public static class ApiClient
{
    public static string Timestamp(DateTimeOffset? at = null) => (at ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ");

    public static Dictionary<string, object?> Event(string workspaceId, string eventId, string? userId, string name, DateTimeOffset? at = null, Dictionary<string, object?>? properties = null)
    {
        var e = new Dictionary<string, object?>
        {
            ["eventId"] = eventId,
            ["workspaceId"] = workspaceId,
            ["name"] = name,
            ["timestamp"] = Timestamp(at),
        };
        if (userId is not null) e["userId"] = userId;
        if (properties is not null) e["properties"] = properties;
        return e;
    }

    public static HttpContent Json(params object[] events) =>
        new StringContent(JsonSerializer.Serialize(new { events }), Encoding.UTF8, "application/json");

    public static HttpContent MessagePackBody(params Dictionary<string, object?>[] events)
    {
        var body = new Dictionary<string, object?> { ["events"] = events };
        var bytes = MessagePackSerializer.Serialize(body, ContractlessStandardResolver.Options);
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-msgpack");
        return content;
    }

    public static async Task<(int Status, JsonNode? Body)> Send(HttpClient http, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static Task<(int Status, JsonNode? Body)> PostEvents(HttpClient http, HttpContent content) => Send(http, HttpMethod.Post, "/v1/events", content);

    public static Task<(int Status, JsonNode? Body)> PutProfile(HttpClient http, string workspaceId, object profile) =>
        Send(http, HttpMethod.Put, $"/v1/workspaces/{workspaceId}", JsonContent.Create(profile));

    public static Task<(int Status, JsonNode? Body)> GetWorkspace(HttpClient http, string workspaceId) =>
        Send(http, HttpMethod.Get, $"/v1/workspaces/{workspaceId}");

    /// <summary>Polls the workspace until it has applied <paramref name="events"/> events (stream delivery is asynchronous).</summary>
    public static async Task<JsonNode> WorkspaceWhenApplied(HttpClient http, string workspaceId, long events)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonNode? last = null;
        while (DateTime.UtcNow < deadline)
        {
            var (status, body) = await GetWorkspace(http, workspaceId);
            last = body;
            if (status == 200 && body!["metrics"]!["eventsApplied"]!.GetValue<long>() >= events) return body;
            await Task.Delay(25);
        }
        throw new Xunit.Sdk.XunitException($"workspace {workspaceId} did not apply {events} events in time; last: {last?.ToJsonString()}");
    }

    public static object Profile(int seats = 10, int tier = 1, Dictionary<string, string[]>? pilots = null) => new
    {
        name = "Acme Corp",
        createdAt = Timestamp(DateTimeOffset.UtcNow.AddDays(-40)),
        plan = "growth",
        seatsPurchased = seats,
        mrr = 4200.50,
        tier,
        segment = "mid-market",
        pod = "emea-1",
        csm = "Dana Scully",
        accountManager = "Ari Gold",
        pilots = pilots ?? new Dictionary<string, string[]>(),
    };

    public static string NewWorkspace() => "ws-" + Guid.NewGuid().ToString("N")[..12];
}
