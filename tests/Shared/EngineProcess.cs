using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace SignalEngine.Testing;

/// <summary>
/// One engine as a real operating-system process (the built SignalEngine.Server.dll), on loopback ports
/// of its own, for crash tests: <see cref="Kill"/> is SIGKILL, <see cref="StartAsync"/> starts it again on
/// the same ports. Its output is kept for the failure message.
/// </summary>
public sealed class EngineProcess : IAsyncDisposable
{
    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    public EngineProcess(IReadOnlyDictionary<string, string> environment)
    {
        HttpPort = FreePort();
        _environment = new Dictionary<string, string>(environment)
        {
            ["SIGNALENGINE_SILO_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SIGNALENGINE_GATEWAY_PORT"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}"), Timeout = TimeSpan.FromSeconds(15) };
        if (environment.TryGetValue("SIGNALENGINE_API_KEY", out var key)) Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    public int HttpPort { get; }

    public HttpClient Http { get; }

    public bool IsRunning => _process is { HasExited: false };

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The server's built assembly, found from the repository root (the folder holding SignalEngine.sln).</summary>
    public static string ServerAssembly()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SignalEngine.sln"))) directory = directory.Parent;
        if (directory is null) throw new InvalidOperationException("SignalEngine.sln not found above " + AppContext.BaseDirectory);
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(directory.FullName, "src", "SignalEngine.Server", "bin", configuration, "net10.0", "SignalEngine.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("build the server first", path);
    }

    /// <summary>Runs the server's <c>migrate</c> command against a database; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> MigrateAsync(string connectionString)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{ServerAssembly()}\" migrate") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.Environment["SIGNALENGINE_POSTGRES"] = connectionString;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }

    public async Task StartAsync()
    {
        var info = new ProcessStartInfo("dotnet", $"\"{ServerAssembly()}\" --urls http://127.0.0.1:{HttpPort}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in _environment) info.Environment[name] = value;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(info)!;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(150);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"the engine exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await Http.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"the engine on port {HttpPort} did not become ready:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown, no last checkpoint.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        Http.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
