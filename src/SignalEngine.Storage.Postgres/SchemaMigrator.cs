using Microsoft.Extensions.Logging;
using Npgsql;

namespace SignalEngine.Storage.Postgres;

/// <summary>
/// Applies the embedded, numbered schema scripts (<c>Schema/NNNN_name.sql</c>) that the database has not
/// seen yet, each in its own transaction, recording them in <c>se_schema_migrations</c>. Idempotent, and
/// safe to run from several silos at once (an advisory lock serialises them).
/// </summary>
public static class SchemaMigrator
{
    private const long LockKey = 0x5349474E414C; // "SIGNAL"

    public sealed record Script(int Version, string Name, string Sql);

    public static IReadOnlyList<Script> Scripts()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        const string prefix = "SignalEngine.Storage.Postgres.Schema.";
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n =>
            {
                var file = n[prefix.Length..^4];
                var version = int.Parse(file[..4], System.Globalization.CultureInfo.InvariantCulture);
                using var reader = new StreamReader(assembly.GetManifestResourceStream(n)!);
                return new Script(version, file[5..], reader.ReadToEnd());
            })
            .OrderBy(s => s.Version)
            .ToList();
    }

    /// <summary>Brings the schema to the current version; returns the scripts it applied (none when already current).</summary>
    public static async Task<IReadOnlyList<Script>> MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await Execute(connection, null, "select pg_advisory_lock(" + LockKey + ")", cancellationToken);
        try
        {
            await Execute(connection, null, """
                create table if not exists se_schema_migrations (
                    version    integer     primary key,
                    name       text        not null,
                    applied_at timestamptz not null default now())
                """, cancellationToken);
            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("select version from se_schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));

            var done = new List<Script>();
            foreach (var script in Scripts().Where(s => !applied.Contains(s.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await Execute(connection, transaction, script.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("insert into se_schema_migrations (version, name) values ($1, $2)", connection, transaction))
                {
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = script.Version });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = script.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                logger.LogInformation("Applied schema migration {Version:0000} {Name}", script.Version, script.Name);
                done.Add(script);
            }
            return done;
        }
        finally
        {
            await Execute(connection, null, "select pg_advisory_unlock(" + LockKey + ")", CancellationToken.None);
        }
    }

    /// <summary>The versions the code expects but the database lacks; empty when the schema is current.</summary>
    public static async Task<IReadOnlyList<int>> PendingAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var applied = new HashSet<int>();
        await using (var exists = new NpgsqlCommand("select to_regclass('se_schema_migrations') is not null", connection))
        {
            if (await exists.ExecuteScalarAsync(cancellationToken) is not true) return Scripts().Select(s => s.Version).ToList();
        }
        await using (var read = new NpgsqlCommand("select version from se_schema_migrations", connection))
        await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));
        return Scripts().Select(s => s.Version).Where(v => !applied.Contains(v)).ToList();
    }

    private static async Task Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
