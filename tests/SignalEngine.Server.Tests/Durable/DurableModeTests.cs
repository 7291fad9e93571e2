using SignalEngine.Testing;
using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Durable;

/// <summary>Durable mode in one process against a real PostgreSQL that goes away and comes back.</summary>
public sealed class DurableModeTests : IAsyncLifetime
{
    private PostgresServer _postgres = null!;
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _connectionString = await _postgres.CreateDatabaseAsync("engine");
        var (exitCode, output) = await EngineProcess.MigrateAsync(_connectionString);
        Assert.True(exitCode == 0, output);
    }

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Migrate_is_idempotent_and_says_the_schema_is_current()
    {
        var (exitCode, output) = await EngineProcess.MigrateAsync(_connectionString);
        Assert.Equal(0, exitCode);
        Assert.Contains("schema is current", output);
    }

    [Fact]
    public async Task While_the_database_is_down_ingestion_answers_503_with_retry_after_and_recovers_by_itself()
    {
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_STORAGE", "postgres"), ("SIGNALENGINE_POSTGRES", _connectionString));
        var ws = NewWorkspace();
        var (status, _) = await PostEvents(server.Http, Json(Event(ws, "before", "u1", "core.x")));
        Assert.Equal(202, status);

        await _postgres.StopProcessAsync();
        for (var i = 0; i < 3; i++)
        {
            using var response = await server.Http.PostAsync("/v1/events", Json(Event(ws, $"down-{i}", "u1", "core.x")));
            Assert.Contains((int)response.StatusCode, new[] { 503, 429 });
            Assert.NotNull(response.Headers.RetryAfter);
        }

        await _postgres.StartProcessAsync();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int retried;
        do
        {
            using var response = await server.Http.PostAsync("/v1/events", Json(Event(ws, "down-0", "u1", "core.x"), Event(ws, "after", "u2", "core.x")));
            retried = (int)response.StatusCode;
            if (retried == 202) break;
            await Task.Delay(500);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(202, retried);
        // "before" and the two accepted after recovery; nothing that got a 503 was half-applied.
        var workspace = await WorkspaceWhenApplied(server.Http, ws, 3);
        Assert.Equal(3, workspace["metrics"]!["eventsApplied"]!.GetValue<long>());
    }

    [Fact]
    public async Task Without_migrations_durable_mode_refuses_to_start()
    {
        var empty = await _postgres.CreateDatabaseAsync("empty");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => EngineServer.StartAsync(("SIGNALENGINE_STORAGE", "postgres"), ("SIGNALENGINE_POSTGRES", empty)));
        Assert.Contains("migrate", error.ToString());
    }
}
