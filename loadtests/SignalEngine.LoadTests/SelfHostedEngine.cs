using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SignalEngine.LoadTests;

/// <summary>
/// The engine of this repository started as a separate process (<c>dotnet run -c Release</c>, memory
/// mode) on free loopback ports, so the load tool measures the real HTTP path and never shares its CPU
/// accounting or GC with the engine. Its output goes to a log file; it is stopped when disposed.
/// </summary>
internal sealed class SelfHostedEngine : IAsyncDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logGate = new();
    private readonly Queue<string> _tail = new();
    private readonly EventHandler _onExit;
    private bool _stopped;
    private int? _enginePid;

    private SelfHostedEngine(Process process, StreamWriter log, string logPath, Uri baseAddress)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        BaseAddress = baseAddress;
        // If this tool is killed, do not leave an engine behind holding the ports.
        _onExit = (_, _) => KillTree();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    public Uri BaseAddress { get; }
    public string LogPath { get; }
    public bool SawMemoryModeWarning { get; private set; }
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Resident memory (VmRSS) of the engine process: the child of 'dotnet run' that runs the server, not the
    /// wrapper itself. Linux only (/proc); null elsewhere or when it cannot be found.
    /// </summary>
    public long? EngineResidentBytes()
    {
        if (!OperatingSystem.IsLinux() || _process.HasExited) return null;
        _enginePid ??= FindEnginePid();
        if (_enginePid is not { } pid) return null;
        try
        {
            using var engine = System.Diagnostics.Process.GetProcessById(pid);
            return engine.WorkingSet64; // VmRSS on Linux
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return null; // the engine ended
        }
    }

    // The server is the child of 'dotnet run': found once, then kept.
    private int? FindEnginePid()
    {
        var parent = _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == _process.Id) continue;
            try
            {
                // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length >= 2 && fields[1] == parent) return pid;
            }
            catch (IOException)
            {
                // That process ended while we read it.
            }
        }
        return null;
    }

    /// <param name="postgres">Connection string of a migrated database for durable mode; null for memory mode.</param>
    public static async Task<SelfHostedEngine> StartAsync(string apiKey, string runId, Action<string> say, CancellationToken cancellationToken, string? postgres = null)
    {
        var root = FindRepositoryRoot();
        var (httpPort, siloPort, gatewayPort) = FreePorts();
        var baseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        var project = Path.Combine(root, "src", "SignalEngine.Server");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "run", "-c", "Release", "--no-launch-profile", "--project", project, "--", "--urls", $"http://127.0.0.1:{httpPort}" })
            start.ArgumentList.Add(arg);
        start.Environment["SIGNALENGINE_API_KEY"] = apiKey;
        start.Environment["SIGNALENGINE_STORAGE"] = postgres is null ? "memory" : "postgres";
        if (postgres is not null) start.Environment["SIGNALENGINE_POSTGRES"] = postgres;
        start.Environment["SIGNALENGINE_SILO_PORT"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SIGNALENGINE_GATEWAY_PORT"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The build inside `dotnet run` must not leave MSBuild nodes running after the engine stops.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["DOTNET_NOLOGO"] = "1";

        var logPath = Path.Combine(Path.GetTempPath(), $"signalengine-load-{runId}-engine.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        say($"self-host: dotnet run -c Release --project {Path.GetRelativePath(Environment.CurrentDirectory, project)} -- --urls {baseAddress} (silo {siloPort}, gateway {gatewayPort}); log {logPath}");
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start 'dotnet'");
        var engine = new SelfHostedEngine(process, log, logPath, baseAddress);
        process.OutputDataReceived += (_, e) => engine.Append(e.Data);
        process.ErrorDataReceived += (_, e) => engine.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await engine.WaitUntilReadyAsync(cancellationToken);
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
        return engine;
    }

    /// <summary>Runs the server's <c>migrate</c> command against <paramref name="postgres"/> (the same build the engine will run).</summary>
    public static async Task MigrateAsync(string postgres, Action<string> say, CancellationToken cancellationToken)
    {
        var root = FindRepositoryRoot();
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "run", "-c", "Release", "--no-launch-profile", "--project", Path.Combine(root, "src", "SignalEngine.Server"), "--", "migrate" })
            start.ArgumentList.Add(arg);
        start.Environment["SIGNALENGINE_POSTGRES"] = postgres;
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start 'dotnet'");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0) throw new EngineStartException($"migrate failed ({process.ExitCode}): {await output}{await error}");
        say($"self-host: {(await output).Trim().Split('\n').Last()}");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logGate)
        {
            _log.WriteLine(line);
            _tail.Enqueue(line);
            if (_tail.Count > 30) _tail.Dequeue();
            if (line.Contains("MEMORY MODE", StringComparison.Ordinal)) SawMemoryModeWarning = true;
        }
    }

    public string Tail()
    {
        lock (_logGate) return string.Join('\n', _tail);
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        var ready = new Uri(BaseAddress, "readyz");
        var deadline = Stopwatch.GetTimestamp() + (long)(ReadyTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            if (_process.HasExited)
                throw new EngineStartException($"the engine exited with code {_process.ExitCode} before it was ready; last output:\n{Tail()}");
            if (Stopwatch.GetTimestamp() > deadline)
                throw new EngineStartException($"the engine was not ready after {ReadyTimeout.TotalMinutes:0} minutes; last output:\n{Tail()}");
            try
            {
                using var response = await http.GetAsync(ready, cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // Still building or starting.
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>How the last stop went, for the console: seconds taken and exit code.</summary>
    public string? StopOutcome { get; private set; }

    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        var stopping = Stopwatch.GetTimestamp();
        _stopped = true;
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        if (!_process.HasExited)
        {
            // SIGTERM lets `dotnet run` and the engine shut down cleanly; the tree is killed if that stalls.
            if (!OperatingSystem.IsWindows()) SignalTerminate(_process.Id);
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }
            KillTree();
        }
        try
        {
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
        }
        StopOutcome = $"stopped in {Stopwatch.GetElapsedTime(stopping).TotalSeconds:0.0}s, exit code {(_process.HasExited ? _process.ExitCode : -1)}";
        lock (_logGate) _log.Dispose();
        _process.Dispose();
    }

    private void KillTree()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    private static void SignalTerminate(int pid)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            kill?.WaitForExit(5000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1): the tree is killed after the timeout instead.
        }
    }

    /// <summary>Walks up from the working directory, then from the tool's own location, to the directory holding SignalEngine.sln.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
                if (File.Exists(Path.Combine(directory.FullName, "SignalEngine.sln"))) return directory.FullName;
        }
        throw new EngineStartException($"--self-host: cannot find SignalEngine.sln above '{Environment.CurrentDirectory}' or '{AppContext.BaseDirectory}'; run from inside the repository");
    }

    /// <summary>Three distinct free loopback ports, held open together so they differ.</summary>
    private static (int Http, int Silo, int Gateway) FreePorts()
    {
        var listeners = Enumerable.Range(0, 3).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToArray();
        try
        {
            foreach (var listener in listeners) listener.Start();
            var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
            return (ports[0], ports[1], ports[2]);
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}

/// <summary>The self-hosted engine could not be started; the message carries its last output.</summary>
internal sealed class EngineStartException(string message) : Exception(message);
