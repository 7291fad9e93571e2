using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace SignalEngine.LoadTests;

/// <summary>The batch alternative's figures: how fast events load, how long the rules take, how fresh the answer can be.</summary>
internal sealed record SqlBaselineReport(
    long Events,
    int Workspaces,
    double LoadSeconds,
    double LoadEventsPerSecond,
    double ActiveUsersDropQuerySeconds,
    int ActiveUsersDropWorkspaces,
    double CoreUsageDeclineQuerySeconds,
    int CoreUsageDeclineWorkspaces)
{
    /// <summary>A scheduled job sees an event at best one load-and-query cycle after it happened, plus the schedule's interval.</summary>
    public double BestFreshnessSeconds => LoadSeconds + ActiveUsersDropQuerySeconds + CoreUsageDeclineQuerySeconds;
}

/// <summary>
/// What teams build when they run rules on a schedule, measured on the same machine: the same kind of
/// events bulk-loaded into a PostgreSQL table with <c>COPY</c>, and the two churn rules
/// (<c>churn.active_users_drop</c>, <c>churn.core_usage_decline</c>: 21 days against the 21 before)
/// computed by SQL over 42 days of history. Runs against a throwaway PostgreSQL of its own.
/// </summary>
internal static class SqlBaseline
{
    public static async Task<SqlBaselineReport> RunAsync(Workload workload, long events, int seed, Action<string> say, CancellationToken cancellationToken)
    {
        await using var postgres = await SignalEngine.Testing.PostgresServer.StartAsync();
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync("baseline"));
        say($"sql-baseline: throwaway PostgreSQL on 127.0.0.1:{postgres.Port}; loading {events:N0} events with COPY");
        await Execute(dataSource, "create table events (workspace_id text not null, user_id text, name text not null, ts timestamptz not null)", cancellationToken);

        var now = DateTimeOffset.UtcNow;
        var random = new Random(seed);
        var load = Stopwatch.StartNew();
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        await using (var copy = await connection.BeginBinaryImportAsync("copy events (workspace_id, user_id, name, ts) from stdin (format binary)", cancellationToken))
        {
            for (long i = 0; i < events; i++)
            {
                var workspace = workload.PickWorkspace(random);
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(workload.WorkspaceIds[workspace], NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(Workload.UserId(workload.PickUser(random, workspace)), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(workload.PickName(random).Text, NpgsqlDbType.Text, cancellationToken);
                // 42 days of history, a little thinner in the recent three weeks so the rules have something to find.
                var age = random.NextDouble() < 0.45 ? random.NextDouble() * 21 : 21 + random.NextDouble() * 21;
                await copy.WriteAsync((now - TimeSpan.FromDays(age)).UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            }
            await copy.CompleteAsync(cancellationToken);
        }
        // The index and statistics a team would add for these queries are part of the load.
        await Execute(dataSource, "create index events_by_workspace_time on events (workspace_id, ts)", cancellationToken);
        await Execute(dataSource, "analyze events", cancellationToken);
        load.Stop();
        say($"sql-baseline: loaded in {load.Elapsed.TotalSeconds:0.0} s ({events / load.Elapsed.TotalSeconds:N0} events/s, index and analyze included)");

        var (dropSeconds, drops) = await Query(dataSource, """
            select count(*) from (
                select workspace_id,
                       count(distinct user_id) filter (where ts >= now() - interval '21 days') as current_users,
                       count(distinct user_id) filter (where ts < now() - interval '21 days') as prior_users
                from events where ts >= now() - interval '42 days' and user_id is not null
                group by workspace_id) w
            where prior_users >= 5 and current_users <= prior_users * 0.8
            """, cancellationToken);
        var (declineSeconds, declines) = await Query(dataSource, """
            select count(*) from (
                select workspace_id,
                       count(*) filter (where ts >= now() - interval '21 days') as current_events,
                       count(*) filter (where ts < now() - interval '21 days') as prior_events
                from events where ts >= now() - interval '42 days' and name like 'core.%'
                group by workspace_id) w
            where prior_events >= 10 and current_events <= prior_events * 0.7
            """, cancellationToken);
        say($"sql-baseline: churn.active_users_drop in {dropSeconds:0.00} s ({drops:N0} workspaces), churn.core_usage_decline in {declineSeconds:0.00} s ({declines:N0} workspaces)");
        return new SqlBaselineReport(events, workload.Count, load.Elapsed.TotalSeconds, events / load.Elapsed.TotalSeconds, dropSeconds, drops, declineSeconds, declines);
    }

    public static void Print(SqlBaselineReport report, string? jsonPath, Action<string> say)
    {
        say($"sql-baseline: {report.Events:N0} events over {report.Workspaces:N0} workspaces: load {report.LoadEventsPerSecond:N0} events/s; " +
            $"rules {report.ActiveUsersDropQuerySeconds + report.CoreUsageDeclineQuerySeconds:0.00} s; " +
            $"best freshness of a scheduled job = load + queries = {report.BestFreshnessSeconds:0.0} s, plus its schedule interval (typically 15–60 min)");
        if (jsonPath is null) return;
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        say($"report written to {jsonPath}");
    }

    private static async Task Execute(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<(double Seconds, int Count)> Query(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        var watch = Stopwatch.StartNew();
        var count = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        return (watch.Elapsed.TotalSeconds, (int)count);
    }
}
