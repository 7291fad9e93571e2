using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace SignalEngine.Server.Tests.Delivery;

/// <summary>Runs webhook_receiver.py (an independent Python implementation of the Standard Webhooks check) on a loopback port.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly Process _process;
    private readonly string _log;

    private WebhookReceiver(Process process, string log, int port)
    {
        _process = process;
        _log = log;
        Url = $"http://127.0.0.1:{port}/hooks";
    }

    public string Url { get; }

    public static async Task<WebhookReceiver> StartAsync(IEnumerable<string> secrets, int failFirst = 0, int? port = null)
    {
        port ??= FreePort();
        var log = Path.Combine(Path.GetTempPath(), $"webhooks-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(log, "");
        var script = Path.Combine(AppContext.BaseDirectory, "Delivery", "webhook_receiver.py");
        var arguments = $"\"{script}\" --port {port} --fail-first {failFirst} --log \"{log}\" " + string.Join(' ', secrets.Select(s => $"--secret {s}"));
        var process = Process.Start(new ProcessStartInfo("python3", arguments) { UseShellExecute = false, RedirectStandardError = true })!;
        var receiver = new WebhookReceiver(process, log, port.Value);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port.Value);
                return receiver;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new InvalidOperationException("the Python webhook receiver did not start: " + process.StandardError.ReadToEnd());
    }

    /// <summary>Every request received so far, one JSON object each.</summary>
    public IReadOnlyList<JsonNode> Requests() =>
        File.ReadAllLines(_log).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!).ToList();

    public async Task<IReadOnlyList<JsonNode>> WaitForAsync(Func<IReadOnlyList<JsonNode>, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var requests = Requests();
            if (done(requests)) return requests;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; received: {string.Join("\n", Requests().Select(r => r.ToJsonString()))}");
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
        File.Delete(_log);
    }
}
