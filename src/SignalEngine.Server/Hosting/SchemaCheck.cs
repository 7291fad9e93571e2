using Npgsql;
using SignalEngine.Storage.Postgres;

namespace SignalEngine.Server.Hosting;

/// <summary>Durable mode refuses to start on a schema that is not current: run <c>migrate</c> first.</summary>
public sealed class SchemaCheck(NpgsqlDataSource dataSource) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var pending = await SchemaMigrator.PendingAsync(dataSource, cancellationToken);
        if (pending.Count > 0)
            throw new InvalidConfigurationException([$"SIGNALENGINE_POSTGRES: the database schema lacks migrations {string.Join(", ", pending)}; run `dotnet run --project src/SignalEngine.Server -- migrate`"]);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
