namespace SignalEngine.Client;

/// <summary>An event the engine will not apply, and why.</summary>
/// <param name="EventId">The id <c>Track</c> returned.</param>
/// <param name="WorkspaceId">The event's workspace.</param>
/// <param name="Name">The event's name.</param>
/// <param name="Error">The engine's reason, starting with the field name (e.g. <c>timestamp: …</c>), or the HTTP answer that refused the whole batch.</param>
public sealed record RejectedEvent(string EventId, string WorkspaceId, string Name, string Error);

/// <summary>The events of one answer that the engine refused.</summary>
public sealed class EventsRejectedEventArgs(IReadOnlyList<RejectedEvent> events) : EventArgs
{
    /// <summary>The refused events, in the order they were tracked.</summary>
    public IReadOnlyList<RejectedEvent> Events { get; } = events;
}

/// <summary>
/// Counters of a client since it was created. A tracked event ends up sent (then accepted, a duplicate or
/// rejected by the engine), rejected as part of a batch the engine refused, dropped, or abandoned at dispose;
/// until then it is <see cref="Buffered"/>.
/// </summary>
/// <param name="Tracked">Events taken by <c>Track</c>/<c>TrackAsync</c>.</param>
/// <param name="Sent">Events in requests the engine answered with 202.</param>
/// <param name="Accepted">Events the engine applied.</param>
/// <param name="Duplicates">Events the engine had already received (a retry of a batch that had landed).</param>
/// <param name="Rejected">Events refused, by validation or because the engine refused their batch (see <see cref="SignalEngineClient.EventsRejected"/>).</param>
/// <param name="Dropped">Events discarded by <see cref="BufferFullPolicy.DropOldest"/>.</param>
/// <param name="Abandoned">Events still unsent when <see cref="SignalEngineClient.DisposeAsync"/> gave up.</param>
/// <param name="Buffered">Events waiting or in flight now.</param>
/// <param name="Requests">HTTP attempts to send a batch, retries included.</param>
/// <param name="Retries">Attempts that repeated an earlier one (after a 429, 503, 5xx, timeout or network error).</param>
public readonly record struct SignalEngineClientStats(
    long Tracked,
    long Sent,
    long Accepted,
    long Duplicates,
    long Rejected,
    long Dropped,
    long Abandoned,
    long Buffered,
    long Requests,
    long Retries);

/// <summary>An error of the SignalEngine client or an answer of the engine it cannot act on.</summary>
public class SignalEngineException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SignalEngineException(string message, int? statusCode = null, Exception? innerException = null) : base(message, innerException) => StatusCode = statusCode;

    /// <summary>The HTTP status the engine answered, when there was one.</summary>
    public int? StatusCode { get; }
}

/// <summary>The client's buffer is full (the engine is slow or unreachable) and the policy says not to wait, or the wait timed out.</summary>
public sealed class BufferFullException(int capacity, string detail)
    : SignalEngineException($"the SignalEngine client buffer is full ({capacity} events): {detail}")
{
    /// <summary>The configured <see cref="SignalEngineClientOptions.BufferCapacity"/>.</summary>
    public int Capacity { get; } = capacity;
}
