using System.Text.Json.Nodes;
using SignalEngine.Core.Rules;
using SignalEngine.Server.Hosting;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Api;

/// <summary>The catalogue file, shadow rules, resolution in the feed and the health history, through real HTTP.</summary>
public sealed class SignalCatalogueTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("signalengine-catalogue-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteCatalogue(string name, string yaml)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task A_bad_catalogue_stops_the_start_naming_file_rule_and_field()
    {
        var path = WriteCatalogue("bad.yaml", """
            version: 1
            rules:
              - id: churn.custom
                kind: churn_risk
                severity: high
                title: "x"
                condition:
                  type: change
                  metric: active_users
                  window: 21d
                  direction: drop
                  treshold: 20
            """);

        var error = await Assert.ThrowsAsync<InvalidConfigurationException>(() => EngineServer.StartAsync(("SIGNALENGINE_CATALOG", path)));

        Assert.Contains(error.Errors, e => e.StartsWith(path + ":", StringComparison.Ordinal) && e.Contains("rule 'churn.custom'") && e.Contains("condition.treshold: unknown field"));
        Assert.Contains(error.Errors, e => e.Contains("rule 'churn.custom'") && e.Contains("condition.threshold: required"));
    }

    [Fact]
    public async Task A_missing_catalogue_file_stops_the_start()
    {
        var missing = Path.Combine(_directory, "nope.yaml");
        var error = await Assert.ThrowsAsync<InvalidConfigurationException>(() => EngineServer.StartAsync(("SIGNALENGINE_CATALOG", missing)));
        Assert.StartsWith($"SIGNALENGINE_CATALOG: cannot read '{missing}'", Assert.Single(error.Errors));
    }

    [Fact]
    public async Task Shadow_plays_are_queryable_but_never_streamed_and_resolutions_reach_the_stream()
    {
        var shadowRule = """

              - id: expansion.usage_limit_trial
                kind: expansion
                severity: low
                title: "trial: {workspace} hit a limit"
                shadow: true
                condition:
                  type: event_count
                  event: limit.reached
                  window: 3d
                  atLeast: 1
            """;
        var path = WriteCatalogue("shadow.yaml", CatalogueLoader.DefaultText() + shadowRule);
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_CATALOG", path));
        var ws = NewWorkspace();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await SseReader.OpenAsync(server.NewClient(), $"/v1/plays/stream?workspaceId={ws}", cancel.Token);

        // A limit hit 8 days ago fires expansion.usage_limit for that day (and the 3-day shadow rule)...
        await PostEvents(server.Http, Json(Event(ws, "old-limit", "u1", "limit.reached", DateTimeOffset.UtcNow.AddDays(-8))));
        var fired = await stream.NextAsync(cancel.Token);
        Assert.Equal("play", fired.Event);
        Assert.Equal("expansion.usage_limit", JsonNode.Parse(fired.Data)!["ruleId"]!.GetValue<string>());

        // ...and today's usage moves event time on: the limit hit is out of its 7-day window, the play resolves.
        await PostEvents(server.Http, Json(Event(ws, "today", "u1", "core.report_viewed")));
        var resolved = await stream.NextAsync(cancel.Token);
        Assert.Equal("play_resolved", resolved.Event);
        Assert.Equal(fired.Id + ".resolved", resolved.Id);
        var play = JsonNode.Parse(resolved.Data)!;
        Assert.Equal("resolved", play["status"]!.GetValue<string>());
        Assert.NotNull(play["resolvedAt"]);
        Assert.NotNull(play["resolvedEventTime"]);

        var live = (await Send(server.Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}")).Body!["plays"]!.AsArray();
        Assert.Equal(["expansion.usage_limit"], live.Select(p => p!["ruleId"]!.GetValue<string>()));
        var shadow = (await Send(server.Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}&shadow=true")).Body!["plays"]!.AsArray();
        var trial = Assert.Single(shadow);
        Assert.Equal("expansion.usage_limit_trial", trial!["ruleId"]!.GetValue<string>());
        Assert.True(trial["shadow"]!.GetValue<bool>());
        var view = (await GetWorkspace(server.Http, ws)).Body!;
        Assert.Empty(view["openPlays"]!.AsArray());
    }

    [Fact]
    public async Task The_health_history_has_one_entry_per_day_oldest_first()
    {
        await using var server = await EngineServer.StartAsync();
        var ws = NewWorkspace();
        await PutProfile(server.Http, ws, Profile(seats: 4));
        var events = Enumerable.Range(0, 20).Select(d => Event(ws, $"d{d}", $"u{d % 3}", "core.report_viewed", DateTimeOffset.UtcNow.AddDays(-d))).ToArray();
        await PostEvents(server.Http, Json(events));
        await WorkspaceWhenApplied(server.Http, ws, 20);

        var (status, body) = await Send(server.Http, HttpMethod.Get, $"/v1/workspaces/{ws}/health?days=7");

        Assert.Equal(200, status);
        var days = body!["days"]!.AsArray();
        Assert.Equal(7, days.Count);
        var dates = days.Select(d => DateOnly.Parse(d!["day"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(dates.Order(), dates);
        Assert.Equal(DateOnly.FromDateTime(DateTime.UtcNow), dates[^1]);
        Assert.All(days, d => Assert.NotNull(d!["health"]!["score"]));
        Assert.Equal(404, (await Send(server.Http, HttpMethod.Get, $"/v1/workspaces/{NewWorkspace()}/health")).Status);
        Assert.Equal(400, (await Send(server.Http, HttpMethod.Get, $"/v1/workspaces/{ws}/health?days=0")).Status);
        var current = (await GetWorkspace(server.Http, ws)).Body!["health"]!;
        Assert.NotNull(current["trend7d"]);
        Assert.Equal(current["score"]!.GetValue<int>(), current["factors"]!.AsArray().Sum(f => f!["contribution"]?.GetValue<int>() ?? 0));
    }
}
