using System.Text.Json.Nodes;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Api;

public sealed class PlaysEndpointsTests(EngineServerFixture fixture) : IClassFixture<EngineServerFixture>
{
    private HttpClient Http => fixture.Server.Http;

    [Fact]
    public async Task The_stream_delivers_a_play_the_moment_its_threshold_crosses()
    {
        var ws = NewWorkspace();
        await PutProfile(Http, ws, Profile(seats: 10, pilots: new() { ["analytics"] = ["p1", "p2", "p3", "p4", "p5"] }));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await SseReader.OpenAsync(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={ws}", cancel.Token);

        // 3 of 5 pilots (60%): nothing. The 4th (80%) crosses the threshold.
        await PostEvents(Http, Json(Event(ws, "a1", "p1", "module.analytics.run"), Event(ws, "a2", "p2", "module.analytics.run"), Event(ws, "a3", "p3", "module.analytics.run")));
        await PostEvents(Http, Json(Event(ws, "a4", "p4", "module.analytics.run")));

        var frame = await stream.NextAsync(cancel.Token);
        Assert.Equal("play", frame.Event);
        var play = JsonNode.Parse(frame.Data)!;
        Assert.Equal(frame.Id, play["playId"]!.GetValue<string>());
        Assert.Equal("expansion.module_adoption", play["ruleId"]!.GetValue<string>());
        Assert.Equal("expansion", play["kind"]!.GetValue<string>());
        Assert.Equal("analytics", play["subject"]!.GetValue<string>());
        Assert.Equal("account_manager", play["owner"]!["role"]!.GetValue<string>());
        Assert.Equal("Ari Gold", play["owner"]!["name"]!.GetValue<string>());
        Assert.Equal(1, play["tier"]!.GetValue<int>());
        Assert.Equal("emea-1", play["pod"]!.GetValue<string>());
        Assert.Equal(80, play["evidence"]!["value"]!.GetValue<double>());
        Assert.Equal(80, play["evidence"]!["threshold"]!.GetValue<double>());
        Assert.Equal("28d", play["evidence"]!["window"]!.GetValue<string>());
        Assert.NotNull(play["health"]!["status"]);
        Assert.Equal("open", play["status"]!.GetValue<string>());
        Assert.NotNull(play["firedAt"]);
        Assert.NotNull(play["eventTime"]);

        // The 5th pilot keeps the condition true: same episode, no new play on the stream.
        await PostEvents(Http, Json(Event(ws, "a5", "p5", "module.analytics.run"), Event(ws, "lim", "p5", "limit.reached")));
        var next = await stream.NextAsync(cancel.Token);
        Assert.Equal("expansion.usage_limit", JsonNode.Parse(next.Data)!["ruleId"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_stream_filters_by_kind()
    {
        var ws = NewWorkspace();
        await PutProfile(Http, ws, Profile(seats: 100));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await SseReader.OpenAsync(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={ws}&kind=churn_risk", cancel.Token);

        await PostEvents(Http, Json(Event(ws, "l", "u1", "limit.reached")));
        await PostEvents(Http, Json(Event(ws, "s", null, "crm.sponsor_changed")));

        var frame = await stream.NextAsync(cancel.Token);
        var play = JsonNode.Parse(frame.Data)!;
        Assert.Equal("risk.sponsor_change", play["ruleId"]!.GetValue<string>());
        Assert.Equal("csm", play["owner"]!["role"]!.GetValue<string>());
        Assert.Equal("Dana Scully", play["owner"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_query_api_filters_and_orders_newest_first()
    {
        var ws = NewWorkspace();
        await PutProfile(Http, ws, Profile(seats: 1));
        await PostEvents(Http, Json(Event(ws, "s", null, "crm.sponsor_changed")));
        await WorkspaceWhenApplied(Http, ws, 1);
        await PostEvents(Http, Json(Event(ws, "l", "u1", "limit.reached")));
        await WorkspaceWhenApplied(Http, ws, 2);

        var all = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}")).Body!["plays"]!.AsArray();
        Assert.Equal(3, all.Count);
        Assert.Equal("risk.sponsor_change", all[^1]!["ruleId"]!.GetValue<string>());
        var firedAt = all.Select(p => DateTimeOffset.Parse(p!["firedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(firedAt.OrderByDescending(t => t), firedAt);

        var expansion = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}&kind=expansion")).Body!["plays"]!.AsArray();
        Assert.Equal(2, expansion.Count);
        var byRule = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}&ruleId=expansion.usage_limit")).Body!["plays"]!.AsArray();
        Assert.Single(byRule);
        var limited = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}&limit=1")).Body!["plays"]!.AsArray();
        Assert.Single(limited);
        var future = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}&since={Uri.EscapeDataString(Timestamp(DateTimeOffset.UtcNow.AddMinutes(5)))}")).Body!["plays"]!.AsArray();
        Assert.Empty(future);
    }

    [Theory]
    [InlineData("kind=upsell")]
    [InlineData("limit=0")]
    [InlineData("since=yesterday")]
    [InlineData("colour=blue")]
    public async Task A_bad_query_is_400_naming_the_parameter(string query)
    {
        var (status, body) = await Send(Http, HttpMethod.Get, $"/v1/plays?{query}");
        Assert.Equal(400, status);
        Assert.StartsWith(query.Split('=')[0] + ":", body!["errors"]![0]!.GetValue<string>());
    }
}
