using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SignalEngine.Testing;

namespace SignalEngine.Storage.Postgres.Tests;

/// <summary>One PostgreSQL server for the test assembly; each test class gets its own migrated database.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    public async Task<NpgsqlDataSource> NewDatabaseAsync()
    {
        var connectionString = await Server.CreateDatabaseAsync("t_" + Guid.NewGuid().ToString("N")[..16]);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance);
        return dataSource;
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresFixture>
{
    public const string Name = "postgres";
}
