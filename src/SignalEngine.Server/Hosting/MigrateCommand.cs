using Npgsql;
using SignalEngine.Storage.Postgres;

namespace SignalEngine.Server.Hosting;

/// <summary><c>signalengine migrate</c>: brings the PostgreSQL schema named by SIGNALENGINE_POSTGRES to the current version; exit 0 when current.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var connectionString = configuration["SIGNALENGINE_POSTGRES"];
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidConfigurationException(["SIGNALENGINE_POSTGRES: required by migrate (an Npgsql connection string)"]);
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("migrate");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            var applied = await SchemaMigrator.MigrateAsync(dataSource, logger);
            Console.WriteLine(applied.Count == 0
                ? "schema is current"
                : $"applied {applied.Count} migration(s): {string.Join(", ", applied.Select(s => $"{s.Version:0000}_{s.Name}"))}; schema is current");
            return 0;
        }
        catch (Exception ex) when (ex is NpgsqlException or PostgresException or TimeoutException)
        {
            Console.Error.WriteLine($"signalengine migrate: {ex.Message}");
            return 1;
        }
    }
}
