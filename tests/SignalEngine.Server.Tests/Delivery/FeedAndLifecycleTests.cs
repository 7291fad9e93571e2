using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SignalEngine.Grains;
using SignalEngine.Server.Tests.Api;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Delivery;

public sealed class FeedAndLifecycleTests(EngineServerFixture fixture) : IClassFixture<EngineServerFixture>
{
    private HttpClient Http => fixture.Server.Http;

    private static async Task<SseReader> Open(HttpClient client, string path, string? lastEventId, CancellationToken cancel)
    {
        if (lastEventId is not null) client.DefaultRequestHeaders.Add("Last-Event-ID", lastEventId);
        return await SseReader.OpenAsync(client, path, cancel);
    }

    [Fact]
    public async Task A_reconnect_with_Last_Event_ID_gets_exactly_what_it_missed()
    {
        var ws = NewWorkspace();
        await PutProfile(Http, ws, Profile(seats: 100));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string firstId;
        await using (var stream = await Open(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={ws}", null, cancel.Token))
        {
            await PostEvents(Http, Json(Event(ws, "l", "u1", "limit.reached")));
            firstId = (await stream.NextAsync(cancel.Token)).Id!;
        }

        // While disconnected, a sponsor change fires.
        await PostEvents(Http, Json(Event(ws, "s", null, "crm.sponsor_changed")));
        await WorkspaceWhenApplied(Http, ws, 2);

        await using var resumed = await Open(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={ws}", firstId, cancel.Token);
        var missed = await resumed.NextAsync(cancel.Token);
        Assert.Equal("play", missed.Event);
        Assert.Equal("risk.sponsor_change", JsonNode.Parse(missed.Data)!["ruleId"]!.GetValue<string>());
        // Nothing is repeated, and live changes follow.
        await PostEvents(Http, Json(Event(ws, "e1", "u2", "support.ticket_escalated"), Event(ws, "e2", "u2", "support.ticket_escalated")));
        var live = await resumed.NextAsync(cancel.Token);
        Assert.Equal("risk.support_escalation", JsonNode.Parse(live.Data)!["ruleId"]!.GetValue<string>());
        Assert.NotEqual(firstId, missed.Id);
    }

    [Fact]
    public async Task A_change_whose_push_was_lost_still_reaches_the_live_feed_in_position_order()
    {
        var ws = NewWorkspace();
        await PutProfile(Http, ws, Profile(seats: 100));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await Open(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={ws}", null, cancel.Token);

        // Recorded in the store without the ledger's push, as when a push is lost in a failover.
        var unpushed = new Core.Plays.Play
        {
            PlayId = "pl_unpushed_" + ws, WorkspaceId = ws, RuleId = "risk.sponsor_change", EpisodeStart = new DateOnly(2026, 11, 23),
            Kind = Core.Plays.PlayKind.ChurnRisk, Severity = Core.Plays.Severity.High, Title = "t", FiredAt = DateTimeOffset.UtcNow, EventTime = DateTimeOffset.UtcNow,
            Owner = new Core.Plays.PlayOwner(Core.Plays.OwnerRole.Csm, "Dana"), Tier = 1,
            Evidence = new Core.Plays.Evidence("count(crm.sponsor_changed)", 1, null, null, 1, "30d", ">="), Health = new Core.Plays.HealthAtFiring(80, "green"),
        };
        await fixture.Server.Services.GetRequiredService<IPlayStore>().RecordAsync([unpushed]);
        // The next play is pushed; the feed sees a gap before it and fills it from the store first.
        await PostEvents(Http, Json(Event(ws, "l", "u1", "limit.reached")));

        var first = await stream.NextAsync(cancel.Token);
        var second = await stream.NextAsync(cancel.Token);
        Assert.Equal("pl_unpushed_" + ws, JsonNode.Parse(first.Data)!["playId"]!.GetValue<string>());
        Assert.Equal("expansion.usage_limit", JsonNode.Parse(second.Data)!["ruleId"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_Last_Event_ID_is_said_plainly()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await Open(fixture.Server.NewClient(), $"/v1/plays/stream?workspaceId={NewWorkspace()}", "pl_gone", cancel.Token);
        var frame = await stream.NextAsync(cancel.Token);
        Assert.Equal("gap", frame.Event);
        Assert.Contains("pl_gone", frame.Data);
    }

    [Fact]
    public async Task People_acknowledge_snooze_and_resolve_plays_and_the_history_is_kept()
    {
        var ws = NewWorkspace();
        await PostEvents(Http, Json(Event(ws, "l", "u1", "limit.reached")));
        await WorkspaceWhenApplied(Http, ws, 1);
        var playId = (await Send(Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}")).Body!["plays"]![0]!["playId"]!.GetValue<string>();

        var acknowledged = (await Send(Http, HttpMethod.Post, $"/v1/plays/{playId}/acknowledge", JsonContent.Create(new { actor = "ari@example.com" }))).Body!;
        Assert.Equal("acknowledged", acknowledged["lifecycle"]!["state"]!.GetValue<string>());
        var until = Timestamp(DateTimeOffset.UtcNow.AddDays(2));
        var snoozed = (await Send(Http, HttpMethod.Post, $"/v1/plays/{playId}/snooze", JsonContent.Create(new { actor = "ari@example.com", until }))).Body!;
        Assert.Equal("snoozed", snoozed["lifecycle"]!["state"]!.GetValue<string>());
        var closed = (await Send(Http, HttpMethod.Post, $"/v1/plays/{playId}/resolve", JsonContent.Create(new { actor = "ari@example.com", outcome = "expanded", note = "upgraded to Scale" }))).Body!;

        var lifecycle = closed["lifecycle"]!;
        Assert.Equal("closed", lifecycle["state"]!.GetValue<string>());
        Assert.Equal("expanded", lifecycle["outcome"]!.GetValue<string>());
        Assert.Equal(["acknowledge", "snooze", "resolve"], lifecycle["history"]!.AsArray().Select(h => h!["action"]!.GetValue<string>()));
        var read = (await Send(Http, HttpMethod.Get, $"/v1/plays/{playId}")).Body!;
        Assert.Equal("upgraded to Scale", read["lifecycle"]!["history"]![2]!["note"]!.GetValue<string>());
        Assert.Equal("open", read["status"]!.GetValue<string>()); // the engine's own status is separate from the people's

        var (status, body) = await Send(Http, HttpMethod.Post, $"/v1/plays/{playId}/snooze", JsonContent.Create(new { outcome = "won", until = "soon" }));
        Assert.Equal(400, status);
        var errors = body!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("actor:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("outcome:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("until:", StringComparison.Ordinal));
        Assert.Equal(404, (await Send(Http, HttpMethod.Post, "/v1/plays/pl_nope/acknowledge", JsonContent.Create(new { actor = "a" }))).Status);
    }
}

/// <summary>An endpoint that fails for longer than the disable threshold is disabled with a visible reason (engine on a test clock).</summary>
public sealed class WebhookDisableTests
{
    [Fact]
    public async Task An_endpoint_failing_for_days_is_disabled_with_its_reason()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await EngineServer.StartAsync(
            b => b.Services.AddKeyedSingleton<TimeProvider>(EngineSilo.Clock, time),
            ("SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE", "1h,1h,1h,1h,1h,1h,1h,1h"), ("SIGNALENGINE_WEBHOOK_DISABLE_AFTER_HOURS", "3"));
        var port = WebhookReceiver.FreePort();
        using var response = await server.Http.PostAsJsonAsync("/v1/subscriptions", new { url = $"http://127.0.0.1:{port}/down", secret = WebhookSignature.NewSecret() });
        var id = (await response.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>();
        await PostEvents(server.Http, Json(Event(NewWorkspace(), "l", "u1", "limit.reached")));

        JsonNode state = null!;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            state = (await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{id}")).Body!;
            if (state["state"]!.GetValue<string>() == "disabled") break;
            if (state["lastFailureAt"] is not null) time.Advance(TimeSpan.FromMinutes(65)); // the next retry becomes due
            await Task.Delay(200);
        }
        Assert.Equal("disabled", state["state"]!.GetValue<string>());
        Assert.Contains("every delivery failed since", state["disabledReason"]!.GetValue<string>());
        Assert.Equal("active", (await Send(server.Http, HttpMethod.Post, $"/v1/subscriptions/{id}/resume")).Body!["state"]!.GetValue<string>());
    }
}
