using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SignalEngine.Client;

/// <summary>
/// The SignalEngine client: <see cref="Track"/> usage events (buffered, batched, retried in the background)
/// and follow live <see cref="Plays"/>. Thread-safe; create one per process and dispose it at shutdown so
/// buffered events are sent.
/// </summary>
public sealed class SignalEngineClient : IAsyncDisposable
{
    private readonly SignalEngineClientOptions _options;
    private readonly EngineEndpoint _endpoint;
    private readonly EventSender _sender;
    private readonly PlayFeed _feed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposing = new();
    private int _disposed;

    /// <summary>Creates a client with default options.</summary>
    public SignalEngineClient(Uri baseAddress, string apiKey)
        : this(new SignalEngineClientOptions { BaseAddress = baseAddress, ApiKey = apiKey })
    {
    }

    /// <summary>Creates a client and starts its background sender.</summary>
    public SignalEngineClient(SignalEngineClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Snapshot();
        options.Validate();
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        _endpoint = new EngineEndpoint(options);
        _sender = new EventSender(options, _endpoint, RaiseRejected, _logger);
        _feed = new PlayFeed(options, _endpoint, RaiseStreamState, _logger);
        _sender.Start();
    }

    /// <summary>
    /// Events the engine refused: invalid ones (listed in its answer) or a whole batch refused for a reason a
    /// retry cannot fix (e.g. a wrong API key). Raised on the background sender; keep handlers short and don't throw.
    /// </summary>
    public event EventHandler<EventsRejectedEventArgs>? EventsRejected;

    /// <summary>A play subscription connected or lost its connection (it reconnects by itself).</summary>
    public event EventHandler<PlayStreamStateChangedEventArgs>? PlayStreamStateChanged;

    /// <summary>The counters since the client was created.</summary>
    public SignalEngineClientStats Stats => _sender.Stats();

    /// <summary>
    /// Buffers one usage event for sending and returns its event id at once. The event is encoded now, so
    /// later changes to <paramref name="properties"/> don't affect it. When the buffer is full,
    /// <see cref="SignalEngineClientOptions.BufferFullPolicy"/> decides: wait, drop the oldest event, or throw
    /// <see cref="BufferFullException"/>.
    /// </summary>
    /// <param name="workspaceId">The customer workspace (account, tenant).</param>
    /// <param name="userId">The acting user, or null for a workspace-level event.</param>
    /// <param name="name">The event name, e.g. <c>core.report_viewed</c> or <c>module.workflows.run</c>.</param>
    /// <param name="properties">Flat string, number or boolean properties.</param>
    /// <param name="timestamp">When it happened; now when null.</param>
    /// <param name="eventId">Your own id, to make re-tracking the same fact idempotent; a new time-ordered id when null.</param>
    /// <returns>The event's id, as <see cref="RejectedEvent.EventId"/> would name it.</returns>
    public string Track(string workspaceId, string? userId, string name, EventProperties? properties = null, DateTimeOffset? timestamp = null, string? eventId = null)
    {
        var pending = Prepare(workspaceId, userId, name, properties, timestamp, eventId);
        _sender.Enqueue(pending);
        return pending.EventId;
    }

    /// <summary>
    /// As <see cref="Track"/>, but with <see cref="BufferFullPolicy.Block"/> it waits for room asynchronously
    /// (until <paramref name="cancellationToken"/>) instead of blocking the thread.
    /// </summary>
    public async ValueTask<string> TrackAsync(string workspaceId, string? userId, string name, EventProperties? properties = null, DateTimeOffset? timestamp = null, string? eventId = null, CancellationToken cancellationToken = default)
    {
        var pending = Prepare(workspaceId, userId, name, properties, timestamp, eventId);
        await _sender.EnqueueAsync(pending, cancellationToken).ConfigureAwait(false);
        return pending.EventId;
    }

    /// <summary>
    /// Sends what is buffered now, without waiting for batches to fill, and completes once each event
    /// tracked before the call was answered by the engine (or rejected, dropped). Throws
    /// <see cref="TimeoutException"/> after <see cref="SignalEngineClientOptions.FlushTimeout"/>; the events
    /// stay buffered and keep being retried.
    /// </summary>
    public Task FlushAsync(CancellationToken cancellationToken = default) => FlushAsync(_options.FlushTimeout, cancellationToken);

    /// <summary>As <see cref="FlushAsync(CancellationToken)"/>, with its own time limit.</summary>
    public Task FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _sender.FlushAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// The live play feed as an endless sequence: fired, resolved and retracted plays matching
    /// <paramref name="filter"/>, from the moment of connection. Reconnects by itself with backoff (sending
    /// <c>Last-Event-ID</c>) and never yields the same change twice. Ends when
    /// <paramref name="cancellationToken"/> is cancelled or the client is disposed; throws
    /// <see cref="SignalEngineException"/> for answers a retry cannot fix (401 wrong key, 400 bad filter).
    /// </summary>
    public async IAsyncEnumerable<PlayNotification> Plays(PlayFilter? filter = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        filter ??= PlayFilter.All;
        _ = filter.QueryString(); // a bad filter fails here, not after connecting
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        await foreach (var change in _feed.SubscribeAsync(filter, linked.Token).ConfigureAwait(false))
            yield return change;
    }

    /// <summary>
    /// Stops taking events, sends what is buffered (for up to <see cref="SignalEngineClientOptions.DisposeTimeout"/>;
    /// what is still unsent then is counted in <see cref="SignalEngineClientStats.Abandoned"/> and lost), ends play
    /// subscriptions and releases the HTTP client it created.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _disposing.CancelAsync().ConfigureAwait(false);
        await _sender.CloseAsync(_options.DisposeTimeout).ConfigureAwait(false);
        _endpoint.Dispose();
        _disposing.Dispose();
    }

    private static PendingEvent Prepare(string workspaceId, string? userId, string name, EventProperties? properties, DateTimeOffset? timestamp, string? eventId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspaceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (eventId is not null) ArgumentException.ThrowIfNullOrWhiteSpace(eventId);
        // Version 7: time-ordered, so ids sort roughly by tracking time, and random enough to be unique per workspace.
        var id = eventId ?? Guid.CreateVersion7().ToString("N");
        var encoded = EventEncoding.Encode(id, workspaceId, userId, name, timestamp ?? DateTimeOffset.UtcNow, properties);
        return new PendingEvent(id, workspaceId, name, encoded);
    }

    private void RaiseRejected(IReadOnlyList<RejectedEvent> events)
    {
        try
        {
            EventsRejected?.Invoke(this, new EventsRejectedEventArgs(events));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "An EventsRejected handler threw; the sender goes on");
        }
    }

    private void RaiseStreamState(PlayStreamStateChangedEventArgs state)
    {
        try
        {
            PlayStreamStateChanged?.Invoke(this, state);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A PlayStreamStateChanged handler threw; the subscription goes on");
        }
    }
}
