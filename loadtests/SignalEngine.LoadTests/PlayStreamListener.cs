using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SignalEngine.LoadTests;

/// <summary>
/// Reads <c>GET /v1/plays/stream</c> (Server-Sent Events), filtered by the engine to the probe's rule,
/// and hands each <c>event: play</c> to the <see cref="PlayTracker"/> with its arrival time.
/// Reconnects if the stream drops; plays fired while disconnected are not replayed and show as missing.
/// </summary>
internal sealed class PlayStreamListener(HttpClient http, Uri target, PlayTracker tracker, Action<string> fail)
{
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _reconnects;

    /// <summary>Completes once the engine sent its ": connected" comment: plays fired after it reach us.</summary>
    public Task Connected => _connected.Task;
    public long Reconnects => Volatile.Read(ref _reconnects);
    public string? LastProblem { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var uri = new Uri(target, "v1/plays/stream?ruleId=" + Uri.EscapeDataString(PlayTracker.RuleId));
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    var body = await response.Content.ReadAsStringAsync(cancellationToken);
                    var message = $"GET /v1/plays/stream answered {(int)response.StatusCode}: {body}";
                    if ((int)response.StatusCode is >= 400 and < 500)
                    {
                        _connected.TrySetException(new InvalidOperationException(message));
                        fail(message);
                        return;
                    }
                    LastProblem = message;
                }
                else
                {
                    await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                    await ReadEventsAsync(stream, cancellationToken);
                    LastProblem = "the play stream ended";
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
            {
                LastProblem = $"play stream: {ex.Message}";
            }
            Interlocked.Increment(ref _reconnects);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReadEventsAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string? eventType = null;
        string? id = null;
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0) Dispatch(eventType ?? "message", id, data.ToString());
                eventType = null;
                id = null;
                data.Clear();
                continue;
            }
            if (line[0] == ':')
            {
                if (line.AsSpan(1).Trim().SequenceEqual("connected")) _connected.TrySetResult();
                continue;
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' ')) value = value[1..];
            switch (field)
            {
                case "event": eventType = value; break;
                case "id": id = value; break;
                case "data":
                    if (data.Length > 0) data.Append('\n');
                    data.Append(value);
                    break;
            }
        }
    }

    private void Dispatch(string eventType, string? id, string data)
    {
        var received = Stopwatch.GetTimestamp();
        if (eventType == "disconnect")
        {
            LastProblem = $"the engine disconnected the play stream: {data}";
            return;
        }
        if (eventType != "play") return;
        try
        {
            using var document = JsonDocument.Parse(data);
            var root = document.RootElement;
            var playId = Text(root, "playId") ?? id;
            if (playId is null) return;
            tracker.OnPlay(playId, Text(root, "workspaceId"), Text(root, "ruleId"), received);
        }
        catch (JsonException ex)
        {
            LastProblem = $"a play on the stream is not JSON: {ex.Message}";
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
