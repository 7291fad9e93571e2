using System.Net.Http.Headers;
using System.Text;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Api;

public sealed class EventsEndpointTests(EngineServerFixture fixture) : IClassFixture<EngineServerFixture>
{
    private HttpClient Http => fixture.Server.Http;

    [Fact]
    public async Task A_json_batch_is_accepted_and_applied()
    {
        var ws = NewWorkspace();
        var (status, body) = await PostEvents(Http, Json(
            Event(ws, "e1", "u1", "core.report_viewed"),
            Event(ws, "e2", "u2", "core.report_viewed", properties: new() { ["plan"] = "pro", ["rows"] = 12, ["beta"] = true })));

        Assert.Equal(202, status);
        Assert.Equal(2, body!["accepted"]!.GetValue<int>());
        Assert.Equal(0, body["duplicates"]!.GetValue<int>());
        Assert.Empty(body["rejected"]!.AsArray());
        var workspace = await WorkspaceWhenApplied(Http, ws, 2);
        Assert.Equal(2, workspace["metrics"]!["activeUsers7d"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_messagepack_batch_is_accepted_and_applied()
    {
        var ws = NewWorkspace();
        var (status, body) = await PostEvents(Http, MessagePackBody(
            Event(ws, "m1", "u1", "core.report_viewed", properties: new() { ["rows"] = 3, ["ok"] = true }),
            Event(ws, "m2", "u2", "module.analytics.report_built")));

        Assert.Equal(202, status);
        Assert.Equal(2, body!["accepted"]!.GetValue<int>());
        var workspace = await WorkspaceWhenApplied(Http, ws, 2);
        Assert.Equal(1, workspace["metrics"]!["moduleActiveUsers28d"]!["analytics"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_messagepack_native_timestamp_is_accepted()
    {
        var ws = NewWorkspace();
        var e = Event(ws, "t1", "u1", "core.x");
        e["timestamp"] = DateTime.UtcNow;
        var (status, body) = await PostEvents(Http, MessagePackBody(e));
        Assert.Equal(202, status);
        Assert.Equal(1, body!["accepted"]!.GetValue<int>());

        // The native instant is checked like a text one: a day ahead is past the allowed clock skew.
        var ahead = Event(ws, "t2", "u1", "core.x");
        ahead["timestamp"] = DateTime.UtcNow.AddDays(1);
        var (aheadStatus, aheadBody) = await PostEvents(Http, MessagePackBody(e, ahead));
        Assert.Equal(202, aheadStatus);
        Assert.Equal(1, aheadBody!["duplicates"]!.GetValue<int>());
        var rejected = Assert.Single(aheadBody["rejected"]!.AsArray());
        Assert.Equal(1, rejected!["index"]!.GetValue<int>());
        Assert.StartsWith("timestamp:", rejected["error"]!.GetValue<string>());
        Assert.Contains("in the future", rejected["error"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("json")]
    [InlineData("msgpack")]
    public async Task A_bad_event_is_rejected_alone_by_index_naming_the_field(string format)
    {
        var ws = NewWorkspace();
        var events = new[]
        {
            Event(ws, "ok1", "u1", "core.x"),
            Event(ws, "old", "u1", "core.x", DateTimeOffset.UtcNow.AddDays(-91)),
            Event(ws, "ok2", "u2", "core.x"),
            new Dictionary<string, object?> { ["eventId"] = "noname", ["workspaceId"] = ws, ["timestamp"] = Timestamp() },
            Event(ws, "nested", "u1", "core.x", properties: new() { ["deep"] = new Dictionary<string, object?> { ["a"] = 1 } }),
        };
        var (status, body) = await PostEvents(Http, format == "json" ? Json(events) : MessagePackBody(events));

        Assert.Equal(202, status);
        Assert.Equal(2, body!["accepted"]!.GetValue<int>());
        var rejected = body["rejected"]!.AsArray();
        Assert.Equal([1, 3, 4], rejected.Select(r => r!["index"]!.GetValue<int>()));
        Assert.Equal("old", rejected[0]!["eventId"]!.GetValue<string>());
        Assert.StartsWith("timestamp:", rejected[0]!["error"]!.GetValue<string>());
        Assert.Contains("retention", rejected[0]!["error"]!.GetValue<string>());
        Assert.Equal("name: required", rejected[1]!["error"]!.GetValue<string>());
        Assert.StartsWith("properties.deep:", rejected[2]!["error"]!.GetValue<string>());
        var workspace = await WorkspaceWhenApplied(Http, ws, 2);
        Assert.Equal(2, workspace["metrics"]!["eventsApplied"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_replayed_batch_counts_as_duplicates_and_changes_nothing()
    {
        var ws = NewWorkspace();
        var batch = new[] { Event(ws, "r1", "u1", "core.x"), Event(ws, "r2", "u2", "core.x"), Event(ws, "r3", "u3", "limit.reached") };
        var first = await PostEvents(Http, Json(batch));
        Assert.Equal(3, first.Body!["accepted"]!.GetValue<int>());

        var replay = await PostEvents(Http, Json(batch));
        var mixed = await PostEvents(Http, MessagePackBody([.. batch, Event(ws, "r4", "u4", "core.x")]));

        Assert.Equal(202, replay.Status);
        Assert.Equal(0, replay.Body!["accepted"]!.GetValue<int>());
        Assert.Equal(3, replay.Body["duplicates"]!.GetValue<int>());
        Assert.Equal(1, mixed.Body!["accepted"]!.GetValue<int>());
        Assert.Equal(3, mixed.Body["duplicates"]!.GetValue<int>());
        var workspace = await WorkspaceWhenApplied(Http, ws, 4);
        Assert.Equal(4, workspace["metrics"]!["eventsApplied"]!.GetValue<long>());
        var plays = await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}");
        Assert.Single(plays.Body!["plays"]!.AsArray());
    }

    [Fact]
    public async Task Repeats_within_one_batch_are_duplicates()
    {
        var ws = NewWorkspace();
        var e = Event(ws, "same", "u1", "core.x");
        var (_, body) = await PostEvents(Http, Json(e, e, e));
        Assert.Equal(1, body!["accepted"]!.GetValue<int>());
        Assert.Equal(2, body["duplicates"]!.GetValue<int>());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key-0123456789")]
    public async Task Without_the_right_key_the_answer_is_401(string? key)
    {
        using var client = fixture.Server.NewClient(key);
        var (status, body) = await PostEvents(client, Json(Event(NewWorkspace(), "a", "u", "core.x")));
        Assert.Equal(401, status);
        Assert.Contains("API key", body!["error"]!.GetValue<string>());
        Assert.Equal(401, (await Send(client, HttpMethod.Get, "/v1/plays")).Status);
    }

    [Theory]
    [InlineData("application/json", "{\"events\": [")]
    [InlineData("application/json", "[1,2,3]")]
    [InlineData("application/json", "{\"evts\": []}")]
    [InlineData("application/x-msgpack", "not msgpack at all")]
    public async Task An_unparseable_body_is_400_with_a_message(string contentType, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var (status, answer) = await PostEvents(Http, content);
        Assert.Equal(400, status);
        Assert.False(string.IsNullOrWhiteSpace(answer!["error"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unknown_content_type_is_415()
    {
        var (status, _) = await PostEvents(Http, new StringContent("eventId=1", Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(415, status);
    }

    [Fact]
    public async Task An_oversized_body_is_413()
    {
        var ws = NewWorkspace();
        // The fixture limits bodies to 256 KiB.
        var events = Enumerable.Range(0, 3000).Select(i => Event(ws, $"big-{i}", "u1", "core.x", properties: new() { ["pad"] = new string('x', 100) })).ToArray();
        var (status, body) = await PostEvents(Http, Json(events));
        Assert.Equal(413, status);
        Assert.Contains("262144", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_body_without_a_length_is_read_whole_however_it_is_chunked_and_refused_past_the_limit()
    {
        var ws = NewWorkspace();
        // ~70 KiB, well past the first buffer, sent in uneven chunks with no Content-Length.
        var events = Enumerable.Range(0, 600).Select(i => Event(ws, $"chunked-{i}", "u1", "core.x", properties: new() { ["pad"] = new string('x', 60) })).ToArray();
        var (status, body) = await PostEvents(Http, new UnsizedContent(await Json(events).ReadAsByteArrayAsync(), "application/json"));
        Assert.Equal(202, status);
        Assert.Equal(600, body!["accepted"]!.GetValue<int>());

        var tooMany = Enumerable.Range(0, 3000).Select(i => Event(ws, $"unsized-big-{i}", "u1", "core.x", properties: new() { ["pad"] = new string('x', 100) })).ToArray();
        var (refused, error) = await PostEvents(Http, new UnsizedContent(await Json(tooMany).ReadAsByteArrayAsync(), "application/json"));
        Assert.Equal(413, refused);
        Assert.Contains("262144", error!["error"]!.GetValue<string>());
    }

    /// <summary>Content whose length is not known up front (so it goes chunked), written in uneven pieces.</summary>
    private sealed class UnsizedContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnsizedContent(byte[] bytes, string mediaType)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            for (int offset = 0, piece = 1000; offset < _bytes.Length; offset += piece, piece = piece * 3 % 17_001 + 500)
            {
                await stream.WriteAsync(_bytes.AsMemory(offset, Math.Min(piece, _bytes.Length - offset)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
