using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace SignalEngine.Client;

/// <summary>
/// The producer's machinery: a bounded channel of encoded events and one background loop that drains it
/// into batches (by count, bytes and linger time) and posts each batch until the engine takes it.
/// A retried batch is the same bytes, hence the same event ids, so the engine counts a batch that had
/// already landed as duplicates instead of applying it twice.
/// </summary>
/// <remarks>
/// Every event gets a sequence number as it enters the channel (under <see cref="_gate"/>, so channel order
/// is sequence order). The loop settles events in that order and drops remove the oldest, so "everything
/// up to sequence N is settled" is exactly "nothing held or buffered has a sequence ≤ N": that is what a
/// flush waits for.
/// </remarks>
internal sealed class EventSender
{
    private readonly SignalEngineClientOptions _options;
    private readonly EngineEndpoint _endpoint;
    private readonly Action<IReadOnlyList<RejectedEvent>> _onRejected;
    private readonly ILogger _logger;
    private readonly Channel<PendingEvent> _channel;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly CancellationTokenSource _hardStop = new();
    private readonly Lock _gate = new();
    private readonly List<(long Through, TaskCompletionSource Done)> _flushWaiters = [];
    private Task _loop = Task.CompletedTask;

    // Guarded by _gate.
    private long _lastSequence;
    private long _heldFrom = long.MaxValue; // no held event has a smaller sequence (conservative)
    private int _held;
    private bool _closed;

    private volatile bool _urgent; // a flush or dispose is waiting: don't linger
    private CancellationTokenSource? _linger;
    private PendingEvent? _carry; // read but did not fit the previous batch; the loop's alone

    private long _tracked, _sent, _accepted, _duplicates, _rejected, _dropped, _abandoned, _requests, _retries;

    public EventSender(SignalEngineClientOptions options, EngineEndpoint endpoint, Action<IReadOnlyList<RejectedEvent>> onRejected, ILogger logger)
    {
        _options = options;
        _endpoint = endpoint;
        _onRejected = onRejected;
        _logger = logger;
        var channelOptions = new BoundedChannelOptions(options.BufferCapacity)
        {
            SingleReader = true,
            FullMode = options.BufferFullPolicy == BufferFullPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.Wait,
        };
        _channel = Channel.CreateBounded<PendingEvent>(channelOptions, _ => Interlocked.Increment(ref _dropped));
        _pipeline = BuildPipeline();
    }

    public void Start() => _loop = Task.Run(RunAsync);

    public SignalEngineClientStats Stats()
    {
        long buffered;
        lock (_gate) buffered = _channel.Reader.Count + _held;
        return new SignalEngineClientStats(
            Interlocked.Read(ref _tracked), Interlocked.Read(ref _sent), Interlocked.Read(ref _accepted), Interlocked.Read(ref _duplicates),
            Interlocked.Read(ref _rejected), Interlocked.Read(ref _dropped), Interlocked.Read(ref _abandoned), buffered,
            Interlocked.Read(ref _requests), Interlocked.Read(ref _retries));
    }

    public void Enqueue(PendingEvent item)
    {
        if (TryEnqueue(item)) return;
        if (_options.BufferFullPolicy == BufferFullPolicy.FailFast)
            throw new BufferFullException(_options.BufferCapacity, "the engine is not taking events (BufferFullPolicy.FailFast)");
        using var timeout = _options.BlockTimeout is { } limit ? new CancellationTokenSource(limit) : null;
        while (true)
        {
            bool open;
            try
            {
                // Blocking is what the caller chose; TrackAsync is the non-blocking way to wait.
                open = _channel.Writer.WaitToWriteAsync(timeout?.Token ?? CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true })
            {
                throw new BufferFullException(_options.BufferCapacity, $"no room within BlockTimeout ({_options.BlockTimeout})");
            }
            if (!open) throw new ObjectDisposedException(nameof(SignalEngineClient));
            if (TryEnqueue(item)) return;
        }
    }

    public async ValueTask EnqueueAsync(PendingEvent item, CancellationToken cancellationToken)
    {
        if (TryEnqueue(item)) return;
        if (_options.BufferFullPolicy == BufferFullPolicy.FailFast)
            throw new BufferFullException(_options.BufferCapacity, "the engine is not taking events (BufferFullPolicy.FailFast)");
        while (true)
        {
            if (!await _channel.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false)) throw new ObjectDisposedException(nameof(SignalEngineClient));
            if (TryEnqueue(item)) return;
        }
    }

    /// <summary>False when the buffer is full (with DropOldest it never is: the oldest event makes room).</summary>
    private bool TryEnqueue(PendingEvent item)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_closed, typeof(SignalEngineClient));
            item.Sequence = _lastSequence + 1;
            if (!_channel.Writer.TryWrite(item)) return false;
            _lastSequence = item.Sequence;
        }
        Interlocked.Increment(ref _tracked);
        return true;
    }

    /// <summary>Completes once every event tracked before the call is settled (sent, rejected, dropped or abandoned).</summary>
    public async Task FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        (long, TaskCompletionSource) waiter;
        lock (_gate)
        {
            if (SettledThrough(_lastSequence)) return;
            waiter = (_lastSequence, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            _flushWaiters.Add(waiter);
            _urgent = true;
        }
        WakeFromLinger();
        try
        {
            await waiter.Item2.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                _flushWaiters.Remove(waiter);
                _urgent = _flushWaiters.Count > 0 || _closed;
            }
            if (ex is TimeoutException)
                throw new TimeoutException($"flush: {Stats().Buffered} events still unsent after {timeout} (is the engine at {_endpoint.EventsUri} reachable?)", ex);
            throw;
        }
    }

    /// <summary>Stops taking events, sends what is buffered for up to <paramref name="timeout"/>, then gives the rest up.</summary>
    public async Task CloseAsync(TimeSpan timeout)
    {
        lock (_gate)
        {
            _closed = true;
            _urgent = true;
            _channel.Writer.TryComplete();
        }
        WakeFromLinger();
        try
        {
            await _loop.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _hardStop.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }
        _hardStop.Dispose();
    }

    private bool SettledThrough(long sequence) =>
        _heldFrom > sequence && (!_channel.Reader.TryPeek(out var head) || head.Sequence > sequence);

    private void ReleaseFlushWaiters(bool all = false)
    {
        lock (_gate)
        {
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                var (through, done) = _flushWaiters[i];
                if (!all && !SettledThrough(through)) continue;
                done.TrySetResult();
                _flushWaiters.RemoveAt(i);
            }
            _urgent = _flushWaiters.Count > 0 || _closed;
        }
    }

    private void WakeFromLinger()
    {
        try
        {
            Volatile.Read(ref _linger)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That linger wait is already over.
        }
    }

    private async Task RunAsync()
    {
        var token = _hardStop.Token;
        try
        {
            while (await NextBatchAsync(token).ConfigureAwait(false) is { } batch)
            {
                await SendAsync(batch, token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Dispose ran out of time; what is held is counted below.
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "The SignalEngine event sender stopped on an unexpected error; buffered events are abandoned");
        }
        finally
        {
            long abandoned;
            lock (_gate)
            {
                _closed = true;
                _channel.Writer.TryComplete();
                abandoned = _held;
                while (_channel.Reader.TryRead(out _)) abandoned++;
                _held = 0;
                _heldFrom = long.MaxValue;
            }
            if (abandoned > 0)
            {
                Interlocked.Add(ref _abandoned, abandoned);
                _logger.LogWarning("SignalEngine client closed with {Count} events unsent (DisposeTimeout {Timeout} reached); they are lost", abandoned, _options.DisposeTimeout);
            }
            ReleaseFlushWaiters(all: true);
        }
    }

    /// <summary>The next batch: waits for a first event, then lingers for more until the batch is full, the linger time is over, or a flush asks; null once closed and drained.</summary>
    private async Task<List<PendingEvent>?> NextBatchAsync(CancellationToken token)
    {
        var batch = new List<PendingEvent>();
        var bytes = EventEncoding.EnvelopeBytes;
        if (_carry is { } carried)
        {
            _carry = null;
            batch.Add(carried);
            bytes += carried.Encoded.Length;
        }
        else
        {
            PendingEvent? first;
            while (!TryTake(out first))
            {
                if (!await _channel.Reader.WaitToReadAsync(token).ConfigureAwait(false)) return null;
            }
            batch.Add(first);
            bytes += first.Encoded.Length;
        }

        var started = Stopwatch.GetTimestamp();
        var lingerOver = false;
        while (true)
        {
            while (batch.Count < _options.MaxBatchEvents && TryTake(out var next))
            {
                if (bytes + next.Encoded.Length > _options.MaxBatchBytes)
                {
                    _carry = next;
                    return batch;
                }
                batch.Add(next);
                bytes += next.Encoded.Length;
            }
            var remaining = _options.MaxLinger - Stopwatch.GetElapsedTime(started);
            if (batch.Count >= _options.MaxBatchEvents || lingerOver || _urgent || remaining <= TimeSpan.Zero) return batch;

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(token);
            wait.CancelAfter(remaining);
            Volatile.Write(ref _linger, wait);
            try
            {
                // Checked after publishing the wait, so a flush that came just before is not missed.
                if (_urgent || !await _channel.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) lingerOver = true;
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                lingerOver = true;
            }
            finally
            {
                Volatile.Write(ref _linger, null);
            }
        }
    }

    private bool TryTake([NotNullWhen(true)] out PendingEvent? item)
    {
        lock (_gate)
        {
            if (!_channel.Reader.TryRead(out item)) return false;
            if (_held++ == 0) _heldFrom = item.Sequence;
            return true;
        }
    }

    /// <summary>The events are done with (acknowledged or given up); they are the oldest held ones.</summary>
    private void Settle(IReadOnlyList<PendingEvent> events)
    {
        lock (_gate)
        {
            _held -= events.Count;
            // Later held events have larger sequences; S+1 may understate the next one (drops leave gaps), which only makes a flush wait a little longer.
            _heldFrom = _held == 0 ? long.MaxValue : events[^1].Sequence + 1;
        }
        ReleaseFlushWaiters();
    }

    private async Task SendAsync(IReadOnlyList<PendingEvent> batch, CancellationToken token)
    {
        var body = EventEncoding.Batch(batch);
        HttpResponseMessage response;
        try
        {
            response = await _pipeline.ExecuteAsync(
                static (state, ct) => state.Self.PostAsync(state.Body, ct),
                (Self: this, Body: body),
                token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            GiveUp(batch, $"the request could not be sent: {ex.Message}");
            return;
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                await AcknowledgeAsync(batch, response, token).ConfigureAwait(false);
                return;
            }
            var status = (int)response.StatusCode;
            var error = await EngineEndpoint.ReadErrorAsync(response, token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestEntityTooLarge && batch.Count > 1)
            {
                // The engine's limits are lower than ours: halve until it fits (order, and so ids, unchanged).
                _logger.LogWarning("SignalEngine refused a batch of {Count} events as too large ({Error}); splitting it. Lower MaxBatchEvents/MaxBatchBytes to match the engine.", batch.Count, error);
                var half = batch.Count / 2;
                await SendAsync(batch.Take(half).ToList(), token).ConfigureAwait(false);
                await SendAsync(batch.Skip(half).ToList(), token).ConfigureAwait(false);
                return;
            }
            GiveUp(batch, $"HTTP {status}: {error}");
        }
    }

    private async ValueTask<HttpResponseMessage> PostAsync(byte[] body, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        using var request = _endpoint.NewRequest(HttpMethod.Post, _endpoint.EventsUri);
        request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(EventEncoding.ContentType) } };
        return await _endpoint.Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task AcknowledgeAsync(IReadOnlyList<PendingEvent> batch, HttpResponseMessage response, CancellationToken token)
    {
        Interlocked.Add(ref _sent, batch.Count);
        IngestAnswer? answer = null;
        try
        {
            answer = await response.Content.ReadFromJsonAsync(ClientJson.Default.IngestAnswer, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or HttpRequestException or IOException or NotSupportedException)
        {
            _logger.LogWarning(ex, "SignalEngine answered {Status} to a batch of {Count} events, with a body that could not be read", (int)response.StatusCode, batch.Count);
        }
        // Count and report before settling: a flush that returns has seen the outcome of its events.
        try
        {
            if (answer is null) return;
            Interlocked.Add(ref _accepted, answer.Accepted);
            Interlocked.Add(ref _duplicates, answer.Duplicates);
            if (answer.Rejected is not { Count: > 0 } refused) return;
            var rejected = new List<RejectedEvent>(refused.Count);
            foreach (var r in refused)
            {
                if ((uint)r.Index >= (uint)batch.Count) continue;
                var e = batch[r.Index];
                rejected.Add(new RejectedEvent(e.EventId, e.WorkspaceId, e.Name, r.Error ?? "rejected"));
            }
            Interlocked.Add(ref _rejected, rejected.Count);
            _logger.LogWarning("SignalEngine rejected {Count} events, e.g. {EventId}: {Error}", rejected.Count, rejected[0].EventId, rejected[0].Error);
            _onRejected(rejected);
        }
        finally
        {
            Settle(batch);
        }
    }

    /// <summary>The engine refused the whole batch for a reason a retry would not change (bad key, malformed, too large).</summary>
    private void GiveUp(IReadOnlyList<PendingEvent> batch, string error)
    {
        try
        {
            Interlocked.Add(ref _rejected, batch.Count);
            _logger.LogError("SignalEngine: {Count} events given up: {Error}", batch.Count, error);
            _onRejected(batch.Select(e => new RejectedEvent(e.EventId, e.WorkspaceId, e.Name, error)).ToList());
        }
        finally
        {
            Settle(batch);
        }
    }

    private ResiliencePipeline<HttpResponseMessage> BuildPipeline()
    {
        var retry = new RetryStrategyOptions<HttpResponseMessage>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
            {
                { Exception: HttpRequestException or TimeoutRejectedException or IOException } => true,
                // A caller-supplied HttpClient's own Timeout, not our cancellation.
                { Exception: OperationCanceledException } => !args.Context.CancellationToken.IsCancellationRequested,
                { Result: { } response } => IsTransient(response.StatusCode),
                _ => false,
            }),
            // Retry for as long as the client lives: the bounded buffer, not a retry count, limits what waits.
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = _options.RetryBaseDelay,
            MaxDelay = _options.MaxRetryDelay,
            DelayGenerator = args => ValueTask.FromResult(RetryAfter(args.Outcome.Result)),
            OnRetry = args =>
            {
                Interlocked.Increment(ref _retries);
                var reason = args.Outcome.Exception?.Message ?? $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                var level = args.AttemptNumber % 10 == 0 ? LogLevel.Warning : LogLevel.Debug;
                _logger.Log(level, "SignalEngine: sending events failed ({Reason}); retry {Attempt} of the same batch in {Delay}", reason, args.AttemptNumber + 1, args.RetryDelay);
                args.Outcome.Result?.Dispose();
                return default;
            },
        };
        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(retry)
            .AddTimeout(_options.RequestTimeout)
            .Build();
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    /// <summary>The server's <c>Retry-After</c> (capped, plus up to one base delay of jitter so clients don't return in step); null for the exponential backoff.</summary>
    private TimeSpan? RetryAfter(HttpResponseMessage? response)
    {
        if (response?.Headers.RetryAfter is not { } header) return null;
        var delay = header.Delta ?? (header.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.Zero);
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (delay > _options.MaxRetryDelay) delay = _options.MaxRetryDelay;
        return delay + _options.RetryBaseDelay * Random.Shared.NextDouble();
    }
}
