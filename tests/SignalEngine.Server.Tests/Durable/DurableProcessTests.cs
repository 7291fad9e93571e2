using System.Net.Http.Json;
using System.Text.Json.Nodes;
using SignalEngine.Testing;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Durable;

/// <summary>
/// Three engine processes on loopback form one cluster on PostgreSQL (ADO.NET clustering). One is killed
/// with SIGKILL under load; the others keep serving; a full restart of all of them recovers the same state.
/// </summary>
public sealed class DurableProcessTests : IAsyncLifetime
{
    private const string Key = "process-test-key-0123456789";
    private PostgresServer _postgres = null!;
    private readonly List<EngineProcess> _engines = [];

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        var connectionString = await _postgres.CreateDatabaseAsync("cluster");
        var (exitCode, output) = await EngineProcess.MigrateAsync(connectionString);
        Assert.True(exitCode == 0, output);
        var environment = new Dictionary<string, string>
        {
            ["SIGNALENGINE_STORAGE"] = "postgres",
            ["SIGNALENGINE_POSTGRES"] = connectionString,
            ["SIGNALENGINE_API_KEY"] = Key,
            ["SIGNALENGINE_PARTITIONS"] = "8",
            ["SIGNALENGINE_CHECKPOINT_SECONDS"] = "2",
            ["SIGNALENGINE_CLUSTER_ID"] = "proc-" + Guid.NewGuid().ToString("N")[..8],
        };
        for (var i = 0; i < 3; i++) _engines.Add(new EngineProcess(environment));
        foreach (var engine in _engines) await engine.StartAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var engine in _engines) await engine.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    /// <summary>Posts a batch to the live engines in turn until one acknowledges it (same ids on every retry).</summary>
    private async Task PostUntilAcknowledged(object[] events, int start)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        for (var attempt = 0; ; attempt++)
        {
            var engine = _engines[(start + attempt) % _engines.Count];
            if (engine.IsRunning)
            {
                try
                {
                    using var response = await engine.Http.PostAsync("/v1/events", Json(events));
                    if ((int)response.StatusCode == 202) return;
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    // Timed out or refused: the client does not know whether it landed, and simply retries.
                }
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no engine acknowledged the batch:\n" + string.Join("\n---\n", _engines.Select(e => e.Output)));
            await Task.Delay(250);
        }
    }

    private async Task<JsonNode> Get(string path)
    {
        foreach (var engine in _engines.Where(e => e.IsRunning))
        {
            try
            {
                using var response = await engine.Http.GetAsync(path);
                if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
            }
            catch (Exception)
            {
                // try the next engine
            }
        }
        throw new InvalidOperationException($"no engine answered {path}");
    }

    private async Task WaitUntilApplied(IReadOnlyList<string> workspaces, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        foreach (var ws in workspaces)
        {
            long applied = -1;
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    applied = (await Get($"/v1/workspaces/{ws}"))["metrics"]!["eventsApplied"]!.GetValue<long>();
                    if (applied == expected) break;
                }
                catch (InvalidOperationException)
                {
                }
                await Task.Delay(250);
            }
            Assert.True(applied == expected, $"{ws}: {applied} events applied, {expected} acknowledged");
        }
    }

    private async Task<string[]> UsageLimitPlays() =>
        (await Get("/v1/plays?ruleId=expansion.usage_limit&limit=1000"))["plays"]!.AsArray().Select(p => p!["playId"]!.GetValue<string>()).ToArray();

    [Fact]
    public async Task A_killed_silo_loses_nothing_acknowledged_and_a_full_restart_recovers_the_same_state()
    {
        var workspaces = Enumerable.Range(0, 16).Select(i => $"proc-{i}").ToList();
        const int rounds = 12;
        for (var round = 0; round < rounds; round++)
        {
            if (round == 5) _engines[2].Kill();
            var events = workspaces.SelectMany(ws => Enumerable.Range(0, 3).Select(i =>
                (object)Event(ws, $"{round}-{i}", $"u{i}", round == 2 && i == 0 ? "limit.reached" : "core.report_viewed"))).ToArray();
            await PostUntilAcknowledged(events, round);
        }

        await WaitUntilApplied(workspaces, rounds * 3);
        var plays = await UsageLimitPlays();
        Assert.Equal(workspaces.Count, plays.Length);
        Assert.Equal(plays.Length, plays.Distinct().Count());

        // Everything down at once, then up again: the same state, the same plays, nothing twice.
        foreach (var engine in _engines) engine.Kill();
        foreach (var engine in _engines) await engine.StartAsync();
        await WaitUntilApplied(workspaces, rounds * 3);
        Assert.Equal(plays.Order(), (await UsageLimitPlays()).Order());
    }
}
