using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace SignalEngine.Storage.Postgres.Tests;

[Collection(PostgresCollection.Name)]
public sealed class SchemaMigratorTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Migrating_applies_every_script_once_and_is_idempotent()
    {
        var connectionString = await fixture.Server.CreateDatabaseAsync("m_" + Guid.NewGuid().ToString("N")[..16]);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        Assert.Equal(SchemaMigrator.Scripts().Select(s => s.Version), await SchemaMigrator.PendingAsync(dataSource));

        var first = await SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance);
        var second = await SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance);

        Assert.Equal(SchemaMigrator.Scripts().Select(s => s.Version), first.Select(s => s.Version));
        Assert.Empty(second);
        Assert.Empty(await SchemaMigrator.PendingAsync(dataSource));
    }

    [Fact]
    public async Task Concurrent_migrators_do_not_collide()
    {
        var connectionString = await fixture.Server.CreateDatabaseAsync("c_" + Guid.NewGuid().ToString("N")[..16]);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var runs = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance)));
        Assert.Equal(SchemaMigrator.Scripts().Count, runs.Sum(r => r.Count));
    }
}
