using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SignalEngine.Core.Rules;
using SignalEngine.Grains;
using SignalEngine.Server.Tests.Api;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Delivery;

/// <summary>Fatigue control: a person's daily budget of pushed plays, the rest in one digest at the digest hour (engine on a test clock).</summary>
public sealed class FatigueTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("signalengine-fatigue-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Over_budget_plays_wait_for_the_owners_digest_and_go_out_together()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var digestHour = (time.GetUtcNow().Hour + 1) % 24;
        var catalogue = Path.Combine(_directory, "fatigue.yaml");
        File.WriteAllText(catalogue, CatalogueLoader.DefaultText()
            .Replace("  maxPlaysPerOwnerPerDay: 0 ", "  maxPlaysPerOwnerPerDay: 2 ", StringComparison.Ordinal)
            .Replace("  digestHourUtc: 17 ", $"  digestHourUtc: {digestHour} ", StringComparison.Ordinal));
        await using var server = await EngineServer.StartAsync(b => b.Services.AddKeyedSingleton<TimeProvider>(EngineSilo.Clock, time), ("SIGNALENGINE_CATALOG", catalogue));
        var owner = "Ari-" + Guid.NewGuid().ToString("N")[..8];
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var stream = await SseReader.OpenAsync(server.NewClient(), $"/v1/plays/stream?owner={owner}", cancel.Token);

        var workspaces = Enumerable.Range(0, 4).Select(_ => NewWorkspace()).ToList();
        foreach (var ws in workspaces)
        {
            await PutProfile(server.Http, ws, new { name = ws, createdAt = Timestamp(DateTimeOffset.UtcNow.AddDays(-10)), tier = 1, accountManager = owner });
            await PostEvents(server.Http, Json(Event(ws, "l", "u1", "limit.reached")));
            await WorkspaceWhenApplied(server.Http, ws, 1);
        }

        // The budget is two: two plays are pushed on their own...
        var first = await stream.NextAsync(cancel.Token);
        var second = await stream.NextAsync(cancel.Token);
        Assert.Equal(["play", "play"], new[] { first.Event, second.Event });
        var plays = (await Send(server.Http, HttpMethod.Get, $"/v1/plays?owner={owner}")).Body!["plays"]!.AsArray();
        Assert.Equal(4, plays.Count);
        var waiting = plays.Where(p => p!["digestOn"] is not null).Select(p => p!["playId"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(2, waiting.Count);

        // ...and the other two go out together once the digest hour has passed.
        time.Advance(TimeSpan.FromHours(2));
        var digest = await stream.NextAsync(cancel.Token);
        Assert.Equal("digest", digest.Event);
        var body = JsonNode.Parse(digest.Data)!;
        Assert.Equal(owner, body["owner"]!.GetValue<string>());
        Assert.Equal(waiting, body["plays"]!.AsArray().Select(p => p!["playId"]!.GetValue<string>()).Order());
        Assert.StartsWith("digest.", digest.Id);
    }
}
