using Microsoft.Extensions.Logging;

namespace SignalEngine.Client;

/// <summary>What <see cref="SignalEngineClient.Track"/> does when the client's buffer is full (the server is slow or down).</summary>
public enum BufferFullPolicy
{
    /// <summary><c>Track</c> waits for room (up to <see cref="SignalEngineClientOptions.BlockTimeout"/>); <c>TrackAsync</c> waits asynchronously. Nothing is lost, the caller slows down.</summary>
    Block,

    /// <summary>The oldest buffered event is discarded to make room, and counted in <see cref="SignalEngineClientStats.Dropped"/>. The caller never waits.</summary>
    DropOldest,

    /// <summary><c>Track</c> throws <see cref="BufferFullException"/>; the caller decides what to do with the event.</summary>
    FailFast,
}

/// <summary>Settings of a <see cref="SignalEngineClient"/>. Only <see cref="BaseAddress"/> and <see cref="ApiKey"/> are required.</summary>
public sealed class SignalEngineClientOptions
{
    /// <summary>The engine's address, e.g. <c>http://127.0.0.1:5080</c>; a path is kept as a prefix.</summary>
    public required Uri BaseAddress { get; set; }

    /// <summary>The engine's API key (<c>SIGNALENGINE_API_KEY</c>), sent as <c>Authorization: Bearer</c>.</summary>
    public required string ApiKey { get; set; }

    /// <summary>An HttpClient to use as is (never disposed by the client); its BaseAddress and default headers are not used. Takes precedence over <see cref="Handler"/>.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>A handler for the client's own HttpClient (never disposed by the client), e.g. for a proxy or custom TLS.</summary>
    public HttpMessageHandler? Handler { get; set; }

    /// <summary>Most events in one request. The server's limit is 10,000 by default.</summary>
    public int MaxBatchEvents { get; set; } = 500;

    /// <summary>Most bytes in one request body. The server's limit is 4 MiB by default; a batch it still finds too large is split and re-sent.</summary>
    public int MaxBatchBytes { get; set; } = 1024 * 1024;

    /// <summary>How long the sender waits for a batch to fill before sending what it has.</summary>
    public TimeSpan MaxLinger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Events buffered in memory, not counting the batch being sent. Bounds memory while the server is down.</summary>
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>What <c>Track</c> does when the buffer is full.</summary>
    public BufferFullPolicy BufferFullPolicy { get; set; } = BufferFullPolicy.Block;

    /// <summary>With <see cref="BufferFullPolicy.Block"/>: longest a synchronous <c>Track</c> waits before throwing <see cref="BufferFullException"/>; null waits without limit.</summary>
    public TimeSpan? BlockTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time limit of one HTTP attempt; a timed-out attempt is retried with the same events.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First retry delay; later ones grow exponentially, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between two attempts, also the cap on a server's <c>Retry-After</c>.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Default time limit of <see cref="SignalEngineClient.FlushAsync(CancellationToken)"/>.</summary>
    public TimeSpan FlushTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="SignalEngineClient.DisposeAsync"/> keeps sending what is buffered before giving it up (counted in <see cref="SignalEngineClientStats.Abandoned"/>).</summary>
    public TimeSpan DisposeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before reconnecting the play feed; doubles (with jitter) after each failed attempt, up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between two reconnection attempts of the play feed.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A play feed that sends nothing, not even its 15-second keep-alive, for this long is treated as dead and reconnected.</summary>
    public TimeSpan StreamIdleTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>How many delivered feed event ids each subscription remembers to drop repeats after a reconnect.</summary>
    public int RecentPlayIdCapacity { get; set; } = 10_000;

    /// <summary>Receives warnings (server unreachable, events given up) and debug detail; none when null.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>A copy, so changing the options after the client was created has no effect on it.</summary>
    internal SignalEngineClientOptions Snapshot() => (SignalEngineClientOptions)MemberwiseClone();

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(BaseAddress);
        if (!BaseAddress.IsAbsoluteUri) throw new ArgumentException("BaseAddress must be an absolute URI, e.g. http://127.0.0.1:5080", nameof(BaseAddress));
        ArgumentException.ThrowIfNullOrWhiteSpace(ApiKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchEvents, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchBytes, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(RecentPlayIdCapacity, 1);
        Positive(RequestTimeout, nameof(RequestTimeout));
        Positive(RetryBaseDelay, nameof(RetryBaseDelay));
        Positive(MaxRetryDelay, nameof(MaxRetryDelay));
        Positive(FlushTimeout, nameof(FlushTimeout));
        Positive(ReconnectBaseDelay, nameof(ReconnectBaseDelay));
        Positive(MaxReconnectDelay, nameof(MaxReconnectDelay));
        Positive(StreamIdleTimeout, nameof(StreamIdleTimeout));
        if (MaxLinger < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxLinger), "must not be negative");
        if (DisposeTimeout < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(DisposeTimeout), "must not be negative");
        if (BlockTimeout is { } block) Positive(block, nameof(BlockTimeout));
    }

    private static void Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(name, value, "must be positive");
    }
}
