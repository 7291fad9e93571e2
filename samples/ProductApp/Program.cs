// A product app reporting usage: a few events for one workspace, then a flush before exit.
// Usage: SIGNALENGINE_API_KEY=… dotnet run --project samples/ProductApp [workspaceId]
using SignalEngine.Client;

var url = Environment.GetEnvironmentVariable("SIGNALENGINE_URL") ?? "http://127.0.0.1:5080";
var key = Environment.GetEnvironmentVariable("SIGNALENGINE_API_KEY");
if (string.IsNullOrWhiteSpace(key))
{
    Console.Error.WriteLine("set SIGNALENGINE_API_KEY to the engine's key (and SIGNALENGINE_URL if it is not at http://127.0.0.1:5080)");
    return 2;
}
var workspace = args.Length > 0 ? args[0] : "acme";

await using var client = new SignalEngineClient(new SignalEngineClientOptions { BaseAddress = new Uri(url), ApiKey = key });
client.EventsRejected += (_, e) =>
{
    foreach (var rejected in e.Events) Console.Error.WriteLine($"rejected {rejected.EventId} ({rejected.Name}): {rejected.Error}");
};

// Track returns at once; the client batches and sends in the background.
client.Track(workspace, "u1", "module.advanced_analytics.report_built");
client.Track(workspace, "u2", "module.advanced_analytics.report_built");
client.Track(workspace, "u1", "core.report_viewed", new EventProperties { { "rows", 12 }, { "beta", true } });
client.Track(workspace, "u1", "limit.reached", new EventProperties { { "limit", "api_calls" }, { "used", 10_000 } });
client.Track(workspace, null, "onboarding.completed");

// A short-lived process flushes before it exits (DisposeAsync would too, within its timeout).
await client.FlushAsync();
var stats = client.Stats;
Console.WriteLine($"{workspace}: tracked {stats.Tracked}, accepted {stats.Accepted}, duplicates {stats.Duplicates}, rejected {stats.Rejected}, in {stats.Requests} request(s)");
return stats.Rejected == 0 ? 0 : 1;
