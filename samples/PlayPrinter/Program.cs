// Prints plays as the engine fires, resolves or retracts them, until Ctrl+C.
// Usage: SIGNALENGINE_API_KEY=… dotnet run --project samples/PlayPrinter [workspaceId|-] [churn_risk|expansion|onboarding|adoption]
using SignalEngine.Client;

var url = Environment.GetEnvironmentVariable("SIGNALENGINE_URL") ?? "http://127.0.0.1:5080";
var key = Environment.GetEnvironmentVariable("SIGNALENGINE_API_KEY");
if (string.IsNullOrWhiteSpace(key))
{
    Console.Error.WriteLine("set SIGNALENGINE_API_KEY to the engine's key (and SIGNALENGINE_URL if it is not at http://127.0.0.1:5080)");
    return 2;
}
PlayKind? kind = args.Length > 1
    ? args[1] switch
    {
        "churn_risk" => PlayKind.ChurnRisk,
        "expansion" => PlayKind.Expansion,
        "onboarding" => PlayKind.Onboarding,
        "adoption" => PlayKind.Adoption,
        var other => throw new ArgumentException($"unknown kind '{other}'"),
    }
    : null;
var filter = new PlayFilter { WorkspaceId = args.Length > 0 && args[0] != "-" ? args[0] : null, Kind = kind };

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await using var client = new SignalEngineClient(new SignalEngineClientOptions { BaseAddress = new Uri(url), ApiKey = key });
client.PlayStreamStateChanged += (_, state) => Console.Error.WriteLine(state.IsConnected
    ? $"connected to {url}"
    : $"disconnected ({state.Reason}); reconnecting in {state.ReconnectIn?.TotalSeconds:F1} s");

try
{
    await foreach (var change in client.Plays(filter, stop.Token))
    {
        var play = change.Play;
        var owner = play.Owner.Name is { } name ? $"{play.Owner.Role} {name}" : play.Owner.Role.ToString();
        Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {change.Type,-9} {play.Kind,-10} {play.Severity,-8} {play.WorkspaceId}: {play.Title} → {owner}");
        Console.WriteLine($"         {play.Evidence.Metric} = {play.Evidence.Value} ({play.Evidence.Comparison} {play.Evidence.Threshold} over {play.Evidence.Window}); health {play.Health.Score?.ToString() ?? "-"} {play.Health.Status}; id {play.PlayId}");
    }
}
catch (SignalEngineException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 1;
}
return 0;
