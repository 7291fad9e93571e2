using System.Security.Cryptography;
using SignalEngine.LoadTests;
using Spectre.Console;

LoadOptions options;
try
{
    options = LoadOptionsParser.Parse(args, Environment.GetEnvironmentVariable);
}
catch (OptionsException ex)
{
    Console.Error.WriteLine($"signalengine-load: {ex.Message.Replace("\n", "\nsignalengine-load: ", StringComparison.Ordinal)}");
    Console.Error.WriteLine("Run with --help to see the options.");
    return 2;
}
if (options.ShowHelp)
{
    Console.WriteLine(LoadOptionsParser.HelpText());
    return 0;
}

using var interrupt = new CancellationTokenSource();
if (options.SqlBaselineEvents is { } baselineEvents)
{
    try
    {
        var workload = new Workload(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)), options.Workspaces, options.UsersPerWorkspace, options.Seed);
        SqlBaseline.Print(await SqlBaseline.RunAsync(workload, baselineEvents, options.Seed, line => Console.Out.WriteLine(line), interrupt.Token), options.JsonPath, line => Console.Out.WriteLine(line));
        return 0;
    }
    catch (InvalidOperationException ex)
    {
        Console.Error.WriteLine($"signalengine-load: --sql-baseline: {ex.Message}");
        return 1;
    }
}

Console.CancelKeyPress += (_, e) =>
{
    if (interrupt.IsCancellationRequested) return;
    // First Ctrl+C: stop sending, stop the engine, still print what was measured. A second one quits at once.
    e.Cancel = true;
    Console.Error.WriteLine("interrupted: stopping (press Ctrl+C again to quit at once)");
    interrupt.Cancel();
};

var console = AnsiConsole.Console;
// Redirected output has no width; 80 columns would fold the summary table.
if (Console.IsOutputRedirected) console.Profile.Width = 140;
void Say(string line) => Console.Out.WriteLine(line);

var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
var apiKey = options.ApiKey ?? "lt_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
SelfHostedEngine? engine = null;
SignalEngine.Testing.PostgresServer? postgres = null;
try
{
    IReadOnlyList<Uri> targets = options.Targets;
    if (options.SelfHost is not null)
    {
        string? connectionString = null;
        if (options.SelfHost == "postgres")
        {
            try
            {
                postgres = await SignalEngine.Testing.PostgresServer.StartAsync();
            }
            catch (InvalidOperationException ex)
            {
                throw new EngineStartException($"--self-host postgres: {ex.Message}");
            }
            connectionString = await postgres.CreateDatabaseAsync("load_" + runId) + ";Maximum Pool Size=100";
            Say($"self-host: throwaway PostgreSQL on 127.0.0.1:{postgres.Port}");
            await SelfHostedEngine.MigrateAsync(connectionString, Say, interrupt.Token);
        }
        engine = await SelfHostedEngine.StartAsync(apiKey, runId, Say, interrupt.Token, connectionString);
        Say($"self-host: engine ready at {engine.BaseAddress}{(engine.SawMemoryModeWarning ? " (memory mode: not durable, as it warned)" : "")}");
        targets = [engine.BaseAddress];
    }
    var running = engine;
    string? EngineProblem() => running is { HasExited: true } ? $"the engine exited during the run; see {running.LogPath}" : null;

    var run = new LoadRun(options, targets, apiKey, runId, EngineProblem, Say, running is null ? null : running.EngineResidentBytes);
    var report = await run.ExecuteAsync(interrupt.Token);
    report.Print(console);
    if (options.PlotPath is { } plotPath)
    {
        RunChart.Save(run.Series, plotPath, $"SignalEngine load run {runId}");
        Say($"chart written to {plotPath}");
    }
    if (options.JsonPath is { } path)
    {
        report.WriteJson(path);
        Say($"report written to {path}");
    }
    return report.Passed ? 0 : 1;
}
catch (EngineStartException ex)
{
    Console.Error.WriteLine($"signalengine-load: {ex.Message}");
    return 1;
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("signalengine-load: interrupted before the run started");
    return 1;
}
finally
{
    if (engine is not null)
    {
        Say("self-host: stopping the engine");
        await engine.DisposeAsync();
        Say($"self-host: engine {engine.StopOutcome}; its output is in {engine.LogPath}");
    }
    if (postgres is not null)
    {
        await postgres.DisposeAsync();
        Say("self-host: PostgreSQL stopped and its data directory removed");
    }
}
