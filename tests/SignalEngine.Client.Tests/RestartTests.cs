using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;
using SignalEngine.Client.Tests.Infrastructure;
using SignalEngine.Storage.Postgres;
using SignalEngine.Testing;
using static SignalEngine.Client.Tests.Infrastructure.InProcessEngine;

namespace SignalEngine.Client.Tests;

/// <summary>
/// The client across an engine restart, in durable mode (a throwaway PostgreSQL): the engine is stopped
/// while events are being tracked and started again on the same address.
/// </summary>
public sealed class RestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private void Note(string what, SignalEngineClient client) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {what}: {client.Stats}");

    private PostgresServer _postgres = null!;
    private string _connectionString = null!;

    public async Task InitializeAsync()
    {
        _postgres = await PostgresServer.StartAsync();
        _connectionString = await _postgres.CreateDatabaseAsync("engine");
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance);
    }

    public async Task DisposeAsync() => await _postgres.DisposeAsync();

    [Fact]
    public async Task Tracking_through_a_restart_loses_and_doubles_nothing_and_the_play_feed_resumes()
    {
        // An open play stream does not end when the engine stops: Kestrel waits for it until the host's
        // shutdown timeout (30 s by default) and then cuts it. A short timeout keeps the test short.
        await using var engine = new InProcessEngine(("SIGNALENGINE_STORAGE", "postgres"), ("SIGNALENGINE_POSTGRES", _connectionString), ("shutdownTimeoutSeconds", "3"));
        await engine.StartAsync();
        await using var client = engine.NewClient(o =>
        {
            o.MaxLinger = TimeSpan.FromMilliseconds(20);
            o.MaxBatchEvents = 50;
            o.BufferCapacity = 100_000;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromSeconds(1);
            o.RequestTimeout = TimeSpan.FromSeconds(10);
            o.ReconnectBaseDelay = TimeSpan.FromMilliseconds(100);
            o.MaxReconnectDelay = TimeSpan.FromSeconds(1);
            o.FlushTimeout = TimeSpan.FromSeconds(60);
        });
        var playsWorkspace = NewWorkspace();
        await using var plays = PlayRecorder.Start(client, new PlayFilter { WorkspaceId = playsWorkspace });
        await plays.Connected(1);
        Note("engine up, feed connected", client);
        client.Track(playsWorkspace, "u1", "limit.reached", timestamp: DateTimeOffset.UtcNow.AddDays(-8));
        var fired = await plays.NextAsync();

        string[] workspaces = [NewWorkspace(), NewWorkspace(), NewWorkspace(), NewWorkspace()];
        var tracked = new long[workspaces.Length];
        using var stopTracking = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            for (var i = 0; !stopTracking.IsCancellationRequested; i++)
            {
                var w = i % workspaces.Length;
                client.Track(workspaces[w], $"u{i % 11}", "core.report_viewed", new EventProperties { { "i", i } });
                Interlocked.Increment(ref tracked[w]);
                if (i % 20 == 19) await Task.Delay(5);
            }
        });

        await Poll.UntilAsync(() => client.Stats.Accepted >= 1000, 60);
        Note("stopping the engine", client);
        await engine.StopAsync();
        Note("engine stopped", client);
        var trackedWhenStopped = client.Stats.Tracked;
        await Poll.UntilAsync(() => client.Stats.Tracked >= trackedWhenStopped + 1000, 60); // tracking goes on while the engine is down
        var retriesWhileDown = client.Stats.Retries;
        Note("starting the engine again", client);
        await engine.StartAsync();
        Note("engine ready", client);
        var acceptedAtRestart = client.Stats.Accepted;
        await Poll.UntilAsync(() => client.Stats.Accepted >= acceptedAtRestart + 1000, 60);
        await stopTracking.CancelAsync();
        await producer;
        await client.FlushAsync();
        Note("flushed", client);

        var stats = client.Stats;
        Assert.True(retriesWhileDown > 0, "the engine's absence was never noticed");
        Assert.Equal(stats.Tracked, stats.Sent);
        Assert.Equal(stats.Tracked, stats.Accepted + stats.Duplicates);
        Assert.Equal((0L, 0L, 0L, 0L), (stats.Rejected, stats.Dropped, stats.Abandoned, stats.Buffered));
        for (var w = 0; w < workspaces.Length; w++)
            Assert.Equal(tracked[w], await engine.AppliedWhenAtLeastAsync(workspaces[w], tracked[w], 90));

        // The feed came back by itself; a change made after the restart arrives, and nothing arrives twice.
        await plays.Connected(2);
        client.Track(playsWorkspace, "u1", "core.report_viewed");
        await client.FlushAsync();
        var resolved = await plays.NextAsync();
        Assert.Equal(PlayEventType.Fired, fired.Type);
        Assert.Equal(PlayEventType.Resolved, resolved.Type);
        Assert.Equal(fired.Play.PlayId, resolved.Play.PlayId);
        Assert.Empty(plays.Unread());
        Assert.Contains(plays.States, s => !s.IsConnected);
        Note("done", client);
    }
}
