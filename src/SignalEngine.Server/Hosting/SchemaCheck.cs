using Npgsql;
using SignalEngine.Storage.Postgres;

namespace SignalEngine.Server.Hosting;

/// <summary>Durable mode refuses to start on a schema that is not current: run <c>migrate</c> first.</summary>
public sealed class SchemaCheck(EngineSettings settings) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(settings.PostgresConnectionString!);
        IReadOnlyList<int> pending;
        try
        {
            pending = await SchemaMigrator.PendingAsync(dataSource, cancellationToken);
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidConfigurationException([$"SIGNALENGINE_POSTGRES: cannot reach the database: {ex.Message}"]);
        }
        if (pending.Count > 0)
            throw new InvalidConfigurationException([$"SIGNALENGINE_POSTGRES: the database schema lacks migrations {string.Join(", ", pending)}; run `dotnet run --project src/SignalEngine.Server -- migrate`"]);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
