using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SignalEngine.Client;

/// <summary>The play feed's connection went up or down.</summary>
public sealed class PlayStreamStateChangedEventArgs(PlayFilter filter, bool isConnected, string? reason, TimeSpan? reconnectIn) : EventArgs
{
    /// <summary>The subscription's filter.</summary>
    public PlayFilter Filter { get; } = filter;

    /// <summary>True once the engine accepted the subscription: plays from now on will arrive.</summary>
    public bool IsConnected { get; } = isConnected;

    /// <summary>Why the connection dropped or could not be made.</summary>
    public string? Reason { get; } = reason;

    /// <summary>When disconnected: the wait before the next attempt.</summary>
    public TimeSpan? ReconnectIn { get; } = reconnectIn;
}

/// <summary>
/// One live subscription to <c>GET /v1/plays/stream</c>: parses the Server-Sent Events with
/// <see cref="SseParser"/>, reconnects with backoff (sending <c>Last-Event-ID</c> so an engine that
/// supports resuming replays what was missed) and drops any change whose event id it already delivered,
/// so a replay after a reconnect never reaches the caller twice.
/// </summary>
internal sealed class PlayFeed(SignalEngineClientOptions options, EngineEndpoint endpoint, Action<PlayStreamStateChangedEventArgs> onStateChanged, ILogger logger)
{
    private enum ItemKind { Change, Disconnect, Other }

    private sealed record Item(ItemKind Kind, PlayNotification? Notification = null, string? Reason = null);

    public async IAsyncEnumerable<PlayNotification> SubscribeAsync(PlayFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var uri = endpoint.PlayStreamUri(filter);
        var delivered = new RecentIds(options.RecentPlayIdCapacity);
        string? lastEventId = null;
        var failures = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string reason;
            var (response, problem) = await ConnectAsync(uri, lastEventId, cancellationToken).ConfigureAwait(false);
            if (response is null)
            {
                if (cancellationToken.IsCancellationRequested) yield break;
                reason = problem!;
            }
            else
            {
                using (response)
                {
                    failures = 0;
                    onStateChanged(new PlayStreamStateChangedEventArgs(filter, true, null, null));
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    idle.CancelAfter(options.StreamIdleTimeout);
                    var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                    await using var stream = new IdleTimeoutStream(body, () => idle.CancelAfter(options.StreamIdleTimeout));
                    await using var items = SseParser.Create(stream, Parse).EnumerateAsync(idle.Token).GetAsyncEnumerator(idle.Token);
                    while (true)
                    {
                        string? ended = null;
                        try
                        {
                            if (!await items.MoveNextAsync().ConfigureAwait(false)) ended = "the engine ended the stream";
                        }
                        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                        {
                            yield break;
                        }
                        catch (OperationCanceledException)
                        {
                            ended = $"nothing received for {options.StreamIdleTimeout}";
                        }
                        catch (Exception ex) when (ex is IOException or HttpRequestException)
                        {
                            ended = $"the connection broke: {ex.Message}";
                        }
                        if (ended is not null)
                        {
                            reason = ended;
                            break;
                        }
                        var item = items.Current.Data;
                        if (item.Kind == ItemKind.Disconnect)
                        {
                            reason = $"the engine disconnected the stream: {item.Reason}";
                            break;
                        }
                        if (item.Notification is not { } change) continue;
                        var id = items.Current.EventId is { Length: > 0 } sent ? sent : change.EventId;
                        if (!delivered.Add(id)) continue;
                        lastEventId = id;
                        yield return change with { EventId = id };
                    }
                }
            }

            var delay = Backoff(failures++);
            logger.LogWarning("SignalEngine play feed: {Reason}; reconnecting in {Delay}", reason, delay);
            onStateChanged(new PlayStreamStateChangedEventArgs(filter, false, reason, delay));
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    /// <summary>The open stream, or why not. Answers that a retry cannot fix (bad key, bad filter) throw.</summary>
    private async Task<(HttpResponseMessage? Response, string? Problem)> ConnectAsync(Uri uri, string? lastEventId, CancellationToken cancellationToken)
    {
        using var request = endpoint.NewRequest(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null) request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await endpoint.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return (null, ex is OperationCanceledException ? $"no answer within {options.RequestTimeout}" : $"cannot connect: {ex.Message}");
        }
        if (response.StatusCode == HttpStatusCode.OK) return (response, null);
        using (response)
        {
            var status = (int)response.StatusCode;
            var error = await EngineEndpoint.ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
            if (status is 400 or 401 or 403 or 404)
                throw new SignalEngineException($"the play feed at {uri} answered {status}: {error}", status);
            return (null, $"HTTP {status}: {error}");
        }
    }

    private Item Parse(string eventType, ReadOnlySpan<byte> data)
    {
        PlayEventType? type = eventType switch
        {
            "play" => PlayEventType.Fired,
            "play_resolved" => PlayEventType.Resolved,
            "play_retracted" => PlayEventType.Retracted,
            _ => null,
        };
        try
        {
            if (eventType == "disconnect")
                return new Item(ItemKind.Disconnect, Reason: JsonSerializer.Deserialize(data, ClientJson.Default.DisconnectAnswer)?.Reason);
            if (type is null) return new Item(ItemKind.Other);
            var play = JsonSerializer.Deserialize(data, ClientJson.Default.Play);
            if (play is null) return new Item(ItemKind.Other);
            var id = type switch
            {
                PlayEventType.Resolved => play.PlayId + ".resolved",
                PlayEventType.Retracted => play.PlayId + ".retracted",
                _ => play.PlayId,
            };
            return new Item(ItemKind.Change, new PlayNotification(type.Value, id, play));
        }
        catch (JsonException ex)
        {
            // One malformed change must not end the subscription.
            logger.LogWarning(ex, "SignalEngine play feed: skipped an '{EventType}' event that is not valid JSON", eventType);
            return new Item(ItemKind.Other, Reason: ex.Message);
        }
    }

    private TimeSpan Backoff(int failures)
    {
        var exponential = options.ReconnectBaseDelay * Math.Pow(2, Math.Min(failures, 16));
        var capped = exponential < options.MaxReconnectDelay ? exponential : options.MaxReconnectDelay;
        return capped * (0.5 + Random.Shared.NextDouble() / 2); // jitter: reconnecting clients don't return in step
    }
}

/// <summary>Event ids delivered recently: a bounded set that forgets the oldest first.</summary>
internal sealed class RecentIds(int capacity)
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    /// <summary>False when the id was already delivered.</summary>
    public bool Add(string id)
    {
        if (!_ids.Add(id)) return false;
        _order.Enqueue(id);
        if (_order.Count > capacity) _ids.Remove(_order.Dequeue());
        return true;
    }
}

/// <summary>Reports every successful read, so a silent connection (no data, no keep-alive comment) can be timed out.</summary>
internal sealed class IdleTimeoutStream(Stream inner, Action onActivity) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read > 0) onActivity();
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        var read = inner.Read(buffer, offset, count);
        if (read > 0) onActivity();
        return read;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
