using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Api;

public sealed class WorkspacesEndpointsTests(EngineServerFixture fixture) : IClassFixture<EngineServerFixture>
{
    private HttpClient Http => fixture.Server.Http;

    [Fact]
    public async Task A_profile_is_stored_and_shown_with_metrics_health_and_open_plays()
    {
        var ws = NewWorkspace();
        var (put, _) = await PutProfile(Http, ws, Profile(seats: 2, pilots: new() { ["analytics"] = ["u1"] }));
        Assert.Equal(200, put);
        await PostEvents(Http, Json(Event(ws, "a", "u1", "module.analytics.chart_built"), Event(ws, "b", "u2", "core.x")));

        var body = await WorkspaceWhenApplied(Http, ws, 2);

        Assert.Equal(ws, body["workspaceId"]!.GetValue<string>());
        Assert.Equal("Acme Corp", body["profile"]!["name"]!.GetValue<string>());
        Assert.Equal(["u1"], body["profile"]!["pilots"]!["analytics"]!.AsArray().Select(u => u!.GetValue<string>()));
        var metrics = body["metrics"]!;
        Assert.Equal(2, metrics["activeUsers7d"]!.GetValue<int>());
        Assert.Equal(2, metrics["activeUsers28d"]!.GetValue<int>());
        Assert.Equal(1, metrics["coreEvents28d"]!.GetValue<long>());
        Assert.Equal(2, metrics["seatsUsed"]!.GetValue<int>());
        Assert.Equal(2, metrics["eventsApplied"]!.GetValue<long>());
        Assert.NotNull(body["health"]!["score"]);
        Assert.Contains(body["health"]!["status"]!.GetValue<string>(), new[] { "green", "yellow", "red" });
        var rules = body["openPlays"]!.AsArray().Select(p => p!["ruleId"]!.GetValue<string>()).Order().ToArray();
        Assert.Equal(["expansion.module_adoption", "expansion.seat_pressure"], rules);
    }

    [Fact]
    public async Task An_unknown_workspace_is_404()
    {
        var (status, body) = await GetWorkspace(Http, NewWorkspace());
        Assert.Equal(404, status);
        Assert.Contains("unknown", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_invalid_profile_is_400_naming_each_field()
    {
        var (status, body) = await PutProfile(Http, NewWorkspace(), new
        {
            name = "",
            createdAt = "last tuesday",
            tier = 4,
            seatsPurchased = -1,
            mrr = "lots",
            pilots = new { analytics = new object[] { "u1", 7 } },
        });

        Assert.Equal(400, status);
        var errors = body!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("createdAt:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("mrr:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("pilots.analytics[1]:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Range_errors_name_their_fields()
    {
        var (status, body) = await PutProfile(Http, NewWorkspace(), new { name = "X", createdAt = Timestamp(), tier = 4, seatsPurchased = -1 });
        Assert.Equal(400, status);
        var errors = body!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("tier:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("seatsPurchased:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_profile_without_required_fields_is_400()
    {
        var (status, body) = await PutProfile(Http, NewWorkspace(), new { plan = "pro" });
        Assert.Equal(400, status);
        var errors = body!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains("name: required", errors);
        Assert.Contains("createdAt: required", errors);
        Assert.Contains("tier: required", errors);
    }
}
