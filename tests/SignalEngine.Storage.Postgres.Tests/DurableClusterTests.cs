using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.TestingHost;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;
using SignalEngine.Grains.Serialization;

namespace SignalEngine.Storage.Postgres.Tests;

/// <summary>
/// Durable mode on a three-silo in-process cluster: the PostgreSQL log and stream provider, ADO.NET grain
/// storage and the play store. A silo is killed mid-stream (no shutdown, no last checkpoint).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DurableClusterTests(PostgresFixture fixture) : IAsyncLifetime
{
    private const int Partitions = 8;
    private InProcessTestCluster _cluster = null!;
    private Npgsql.NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        _dataSource = await fixture.NewDatabaseAsync();
        var connectionString = _dataSource.ConnectionString;
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(new WorkspaceGrainOptions { CheckpointInterval = TimeSpan.FromSeconds(2) });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
            silo.AddSignalEngineDurableStorage(new DurableModeOptions(connectionString, Partitions));
        });
        builder.ConfigureClient(client =>
        {
            client.Services.AddSerializer(s => s.AddSignalEngineTypes());
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    [Fact]
    public async Task Workspace_state_is_checkpointed_in_grain_storage_with_its_log_position()
    {
        var workspace = "ckpt-" + Guid.NewGuid().ToString("N");
        var now = DateTimeOffset.UtcNow;
        var events = Enumerable.Range(0, 10).Select(i => new UsageEvent($"e{i}", workspace, $"u{i % 3}", i == 9 ? "limit.reached" : "core.x", now)).ToArray();
        await IngestWithRetries(WorkspacePartitioner.PartitionOf(workspace, Partitions), events);
        var grain = _cluster.Client.GetGrain<IWorkspaceGrain>(workspace);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await grain.GetView())?.Metrics.EventsApplied != 10 && DateTime.UtcNow < deadline) await Task.Delay(100);

        // Deactivation checkpoints; then the log rows are removed, so the state can only come from grain storage.
        await _cluster.DeactivateAsync(grain);
        await _cluster.WaitForDeactivationAsync(grain);
        await using (var delete = _dataSource.CreateCommand("delete from se_event_log where workspace_id = $1"))
        {
            delete.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = workspace });
            Assert.Equal(1, await delete.ExecuteNonQueryAsync());
        }
        await using (var versions = _dataSource.CreateCommand("select count(*) from orleans_grain_state where grainidextensionstring = $1 and version >= 1 and payloadbinary is not null"))
        {
            versions.Parameters.Add(new Npgsql.NpgsqlParameter<string> { TypedValue = workspace });
            Assert.Equal(1L, await versions.ExecuteScalarAsync());
        }

        var view = await grain.GetView();
        Assert.Equal(10, view!.Metrics.EventsApplied);
        Assert.Equal(3, view.Metrics.ActiveUsers7d);
        Assert.Equal("expansion.usage_limit", Assert.Single(view.OpenPlays).RuleId);
    }

    /// <summary>Sends a batch until a partition acknowledges it, as a client that does not know whether a timed-out attempt landed.</summary>
    private async Task<IngestReceipt> IngestWithRetries(int partition, UsageEvent[] events)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await _cluster.Client.GetGrain<IIngestPartitionGrain>(partition).Ingest(new EventBatch(events));
            }
            catch (Exception) when (attempt < 30)
            {
                await Task.Delay(500);
            }
        }
    }

    [Fact]
    public async Task Killing_a_silo_mid_stream_applies_every_acknowledged_event_exactly_once_and_fires_each_play_once()
    {
        var now = DateTimeOffset.UtcNow;
        var workspaces = Enumerable.Range(0, 24).Select(i => $"dur-{i}-{Guid.NewGuid():N}"[..20]).ToList();
        var acknowledged = workspaces.ToDictionary(w => w, _ => new HashSet<string>());
        const int rounds = 16;
        for (var round = 0; round < rounds; round++)
        {
            if (round == 6) await _cluster.KillSiloAsync(_cluster.Silos[1]);
            var events = workspaces.SelectMany(w => Enumerable.Range(0, 4).Select(i =>
                new UsageEvent($"{round}-{i}", w, $"u{i}", round == 3 && i == 0 ? "limit.reached" : "core.report_viewed", now.AddSeconds(round)))).ToList();
            await Task.WhenAll(events.GroupBy(e => WorkspacePartitioner.PartitionOf(e.WorkspaceId, Partitions)).Select(async group =>
            {
                var batch = group.ToArray();
                await IngestWithRetries(group.Key, batch);
                lock (acknowledged)
                    foreach (var e in batch) acknowledged[e.WorkspaceId].Add(e.EventId);
            }));
        }

        // A retry of an already acknowledged round changes nothing.
        var replay = workspaces.SelectMany(w => Enumerable.Range(0, 4).Select(i => new UsageEvent($"5-{i}", w, $"u{i}", "core.report_viewed", now.AddSeconds(5)))).ToList();
        foreach (var group in replay.GroupBy(e => WorkspacePartitioner.PartitionOf(e.WorkspaceId, Partitions)))
            Assert.All((await IngestWithRetries(group.Key, group.ToArray())).Duplicate, Assert.True);

        var deadline = DateTime.UtcNow.AddSeconds(120);
        foreach (var workspace in workspaces)
        {
            long applied;
            do
            {
                applied = (await _cluster.Client.GetGrain<IWorkspaceGrain>(workspace).GetView())?.Metrics.EventsApplied ?? 0;
                if (applied == acknowledged[workspace].Count) break;
                await Task.Delay(200);
            }
            while (DateTime.UtcNow < deadline);
            Assert.Equal(acknowledged[workspace].Count, applied);
        }
        Assert.All(acknowledged.Values, ids => Assert.Equal(rounds * 4, ids.Count));

        List<Play> ours;
        do
        {
            var plays = await _cluster.Client.GetGrain<IPlayLedgerGrain>(0).Query(new PlayQuery { RuleId = "expansion.usage_limit", Limit = 1000 });
            ours = plays.Where(p => workspaces.Contains(p.WorkspaceId)).ToList();
            if (ours.Count >= workspaces.Count) break;
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(workspaces.Order(), ours.Select(p => p.WorkspaceId).Order());
        Assert.Equal(ours.Count, ours.Select(p => p.PlayId).Distinct().Count());
    }
}
