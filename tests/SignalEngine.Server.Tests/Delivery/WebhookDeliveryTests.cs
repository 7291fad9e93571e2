using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SignalEngine.Grains;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Delivery;

/// <summary>Webhooks end to end: the engine posts to a receiver written independently in Python that checks every signature.</summary>
public sealed class WebhookDeliveryTests
{
    private static async Task<JsonNode> Subscribe(HttpClient http, string url, string secret, object? filter = null)
    {
        using var response = await http.PostAsJsonAsync("/v1/subscriptions", new { url, secret, filter });
        Assert.Equal(201, (int)response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    /// <summary>Two expansion plays (a limit hit, all seats used); no churn risk, which would hold them back.</summary>
    private static async Task FirePlays(HttpClient http, string ws)
    {
        await PutProfile(http, ws, Profile(seats: 1));
        await PostEvents(http, Json(Event(ws, "l", "u1", "limit.reached")));
    }

    [Fact]
    public async Task Plays_are_delivered_signed_retried_on_failure_and_succeed_once_per_id()
    {
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE", "1s,1s,1s"));
        var secret = WebhookSignature.NewSecret();
        using var receiver = await WebhookReceiver.StartAsync([secret], failFirst: 2);
        var ws = NewWorkspace();
        var subscription = await Subscribe(server.Http, receiver.Url, secret, new { kinds = new[] { "expansion", "onboarding" } });
        Assert.Equal("active", subscription["state"]!.GetValue<string>());

        await FirePlays(server.Http, ws);

        var requests = await receiver.WaitForAsync(r => r.Count(x => x["status"]!.GetValue<int>() == 200) >= 2, "two successful deliveries");
        Assert.All(requests, r => Assert.True(r["verified"]!.GetValue<bool>(), "every signature verifies with Python's hmac"));
        var delivered = requests.Where(r => r["status"]!.GetValue<int>() == 200).Select(r => r["id"]!.GetValue<string>()).ToList();
        Assert.Equal(delivered.Count, delivered.Distinct().Count());
        Assert.All(delivered, id => Assert.Equal(3, requests.Count(r => r["id"]!.GetValue<string>() == id)));
        var plays = (await Send(server.Http, HttpMethod.Get, $"/v1/plays?workspaceId={ws}")).Body!["plays"]!.AsArray().Select(p => p!["playId"]!.GetValue<string>());
        Assert.Equal(plays.Order(), delivered.Order());
        var state = (await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{subscription["id"]}")).Body!;
        Assert.Equal(0, state["pendingDeliveries"]!.GetValue<int>());
        Assert.NotNull(state["lastSuccessAt"]);
    }

    [Fact]
    public async Task Exhausted_deliveries_become_dead_letters_that_can_be_listed_and_replayed()
    {
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_WEBHOOK_RETRY_SCHEDULE", "1s"));
        var secret = WebhookSignature.NewSecret();
        var port = WebhookReceiver.FreePort();
        var subscription = await Subscribe(server.Http, $"http://127.0.0.1:{port}/hooks", secret, new { ruleIds = new[] { "expansion.usage_limit" } });
        var id = subscription["id"]!.GetValue<string>();
        var ws = NewWorkspace();
        await FirePlays(server.Http, ws);

        // Nobody listens: two attempts, then a dead letter.
        JsonNode? state = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            state = (await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{id}")).Body!;
            if (state["deadLetters"]!.GetValue<int>() == 1) break;
            await Task.Delay(200);
        }
        Assert.Equal(1, state!["deadLetters"]!.GetValue<int>());
        Assert.Equal("failing", state["state"]!.GetValue<string>());
        Assert.NotNull(state["lastError"]);
        var dead = (await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{id}/dead-letters")).Body!["deadLetters"]!.AsArray();
        var letter = Assert.Single(dead);
        Assert.Equal(2, letter!["attempts"]!.GetValue<int>());
        Assert.Equal("expansion.usage_limit", letter["play"]!["ruleId"]!.GetValue<string>());

        using var receiver = await WebhookReceiver.StartAsync([secret], port: port);
        var replayed = (await Send(server.Http, HttpMethod.Post, $"/v1/subscriptions/{id}/dead-letters/replay")).Body!;
        Assert.Equal(1, replayed["replayed"]!.GetValue<int>());
        var requests = await receiver.WaitForAsync(r => r.Any(x => x["status"]!.GetValue<int>() == 200), "the replayed delivery");
        Assert.Equal(letter["eventId"]!.GetValue<string>(), Assert.Single(requests)["id"]!.GetValue<string>());
        Assert.Equal(0, (await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{id}")).Body!["deadLetters"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_rotated_secret_signs_alongside_the_old_one_so_receivers_switch_without_a_gap()
    {
        await using var server = await EngineServer.StartAsync();
        var oldSecret = WebhookSignature.NewSecret();
        var newSecret = WebhookSignature.NewSecret();
        using var oldReceiver = await WebhookReceiver.StartAsync([oldSecret]);
        var subscription = await Subscribe(server.Http, oldReceiver.Url, oldSecret);
        var id = subscription["id"]!.GetValue<string>();
        using (var rotate = await server.Http.PostAsJsonAsync($"/v1/subscriptions/{id}/secrets", new { secret = newSecret }))
            Assert.Equal(2, (await rotate.Content.ReadFromJsonAsync<JsonNode>())!["activeSecrets"]!.GetValue<int>());

        await FirePlays(server.Http, NewWorkspace());

        var requests = await oldReceiver.WaitForAsync(r => r.Count >= 2, "deliveries after the rotation");
        Assert.All(requests, r => Assert.True(r["verified"]!.GetValue<bool>()));
        Assert.All(requests, r => Assert.Equal(2, r["signatures"]!.GetValue<int>()));
        // A receiver that already switched to the new secret accepts the same requests.
        using var newReceiver = await WebhookReceiver.StartAsync([newSecret]);
        await server.Http.PostAsJsonAsync("/v1/subscriptions", new { url = newReceiver.Url, secret = newSecret });
        await FirePlays(server.Http, NewWorkspace());
        Assert.All(await newReceiver.WaitForAsync(r => r.Count >= 2, "deliveries to the new receiver"), r => Assert.True(r["verified"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task Paused_subscriptions_hold_deliveries_until_resumed_and_bad_subscriptions_are_rejected()
    {
        await using var server = await EngineServer.StartAsync();
        var secret = WebhookSignature.NewSecret();
        using var receiver = await WebhookReceiver.StartAsync([secret]);
        var id = (await Subscribe(server.Http, receiver.Url, secret))["id"]!.GetValue<string>();
        Assert.Equal("paused", (await Send(server.Http, HttpMethod.Post, $"/v1/subscriptions/{id}/pause")).Body!["state"]!.GetValue<string>());

        await FirePlays(server.Http, NewWorkspace());
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Send(server.Http, HttpMethod.Get, $"/v1/subscriptions/{id}")).Body!["pendingDeliveries"]!.GetValue<int>() < 2 && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Empty(receiver.Requests());

        Assert.Equal("active", (await Send(server.Http, HttpMethod.Post, $"/v1/subscriptions/{id}/resume")).Body!["state"]!.GetValue<string>());
        await receiver.WaitForAsync(r => r.Count >= 2, "the held deliveries");

        using var bad = await server.Http.PostAsJsonAsync("/v1/subscriptions", new { url = "ftp://x", secret = "plain", filter = new { kinds = new[] { "upsell" }, tiers = new[] { 7 } } });
        Assert.Equal(400, (int)bad.StatusCode);
        var errors = (await bad.Content.ReadFromJsonAsync<JsonNode>())!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains(errors, e => e.StartsWith("url:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("secret:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("filter.kinds:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("filter.tiers:", StringComparison.Ordinal));
        Assert.Equal(204, (int)(await server.Http.DeleteAsync($"/v1/subscriptions/{id}")).StatusCode);
        Assert.Equal(404, (int)(await server.Http.GetAsync($"/v1/subscriptions/{id}")).StatusCode);
    }
}
