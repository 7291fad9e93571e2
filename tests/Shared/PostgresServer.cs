using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace SignalEngine.Testing;

/// <summary>
/// A throwaway PostgreSQL server for one test run: Debian's <c>postgresql</c> binaries, a fresh data
/// directory under /tmp, listening on a free loopback port only, stopped and deleted on dispose.
/// As root (CI), the server runs as the <c>postgres</c> user, since PostgreSQL refuses to run as root.
/// It can be stopped and started again to simulate the database going away.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dataDirectory;
    private readonly bool _asPostgresUser;
    private Process? _process;

    private PostgresServer(string bin, string dataDirectory, int port, bool asPostgresUser)
    {
        _bin = bin;
        _dataDirectory = dataDirectory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    public int Port { get; }

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Timeout=5;Command Timeout=30";

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL is not installed: `apt-get install -y postgresql` (.ci/run does this)");
        var asPostgresUser = Environment.UserName == "root";
        var directory = Directory.CreateTempSubdirectory("signalengine-pg-").FullName;
        if (asPostgresUser) Run("chown", $"postgres:postgres {directory}");
        var server = new PostgresServer(bin, Path.Combine(directory, "data"), FreePort(), asPostgresUser);
        server.RunAsServerUser(Path.Combine(bin, "initdb"), $"-D {server._dataDirectory} -U postgres --auth=trust --no-sync -E UTF8");
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Starts (again) the server process on the same port and data.</summary>
    public async Task StartProcessAsync()
    {
        var arguments = $"-D {_dataDirectory} -p {Port} -k {Path.GetDirectoryName(_dataDirectory)} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=on -c max_connections=200";
        _process = Process.Start(StartInfo(Path.Combine(_bin, "postgres"), arguments))!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString());
                await connection.OpenAsync();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Stops the server (fast shutdown: open connections are cut).</summary>
    public async Task StopProcessAsync()
    {
        if (_process is null || _process.HasExited) return;
        RunAsServerUser(Path.Combine(_bin, "pg_ctl"), $"stop -D {_dataDirectory} -m fast -w");
        await _process.WaitForExitAsync();
        NpgsqlConnection.ClearAllPools();
    }

    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopProcessAsync();
        }
        finally
        {
            if (_process is { HasExited: false }) _process.Kill(entireProcessTree: true);
            Directory.Delete(Path.GetDirectoryName(_dataDirectory)!, recursive: true);
        }
    }

    private ProcessStartInfo StartInfo(string file, string arguments)
    {
        var info = _asPostgresUser
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        info.RedirectStandardOutput = info.RedirectStandardError = true;
        info.UseShellExecute = false;
        return info;
    }

    private void RunAsServerUser(string file, string arguments)
    {
        using var process = Process.Start(StartInfo(file, arguments))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {error}{output.Result}");
    }

    private static void Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { UseShellExecute = false })!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode})");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
