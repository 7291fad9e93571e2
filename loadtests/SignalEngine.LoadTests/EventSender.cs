using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace SignalEngine.LoadTests;

/// <summary>Stops a run from anywhere (a sender, the play stream, the engine watchdog); the first reason is kept.</summary>
internal sealed class RunAbort(CancellationTokenSource source)
{
    private string? _reason;

    public string? Reason => Volatile.Read(ref _reason);
    public CancellationToken Token => source.Token;

    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _reason, reason, null);
        source.Cancel();
    }
}

/// <summary>What every sender shares during one run.</summary>
internal sealed class RunContext
{
    private int _nextEndpoint = -1;

    public required RunAbort Aborter { get; init; }
    public required LoadOptions Options { get; init; }
    public required Workload Workload { get; init; }
    public required HttpClient Http { get; init; }
    public required Uri[] EventEndpoints { get; init; }
    public required RunStatistics Stats { get; init; }
    public required PlayTracker Plays { get; init; }
    public required CrossingSchedule Crossings { get; init; }
    public RateLimiter? Limiter { get; init; }

    /// <summary>Ends when the measured time is over (or the run aborts): no new batch starts after it.</summary>
    public required CancellationToken StopSending { get; init; }

    /// <summary>Ends a grace period later: retries still going then are given up.</summary>
    public required CancellationToken HardStop { get; init; }

    public Uri NextEndpoint() => EventEndpoints[(int)((uint)Interlocked.Increment(ref _nextEndpoint) % (uint)EventEndpoints.Length)];
}

/// <summary>
/// One sender: builds a batch, waits for the rate limiter, posts it, and retries the very same body on
/// 429/503 or a transport error until it is acknowledged or the run's grace period ends.
/// </summary>
internal sealed class EventSender
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);

    private readonly RunContext _run;
    private readonly Random _random;
    private readonly EventBatch _batch;
    private readonly BatchEncoder _encoder;
    private readonly List<int> _rejected = [];
    private readonly bool[] _rejectedSlot;
    private byte[] _response = new byte[4096];
    private long _sequence;

    public EventSender(RunContext run, int id)
    {
        _run = run;
        _random = new Random(unchecked(run.Options.Seed * 7919 + id + 1));
        _batch = new EventBatch(run.Options.Batch);
        _rejectedSlot = new bool[run.Options.Batch];
        _encoder = BatchEncoder.For(run.Options.Format, run.Workload, id);
    }

    public async Task RunAsync()
    {
        while (!_run.StopSending.IsCancellationRequested)
        {
            if (_run.Limiter is { } limiter)
            {
                try
                {
                    await limiter.WaitAsync(_batch.Capacity, _run.StopSending);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            Fill();
            _encoder.Encode(_batch);
            await SendAsync();
        }
    }

    /// <summary>Sends the population history until the plan is exhausted (or the run aborts).</summary>
    public async Task PopulateAsync(PopulationPlan plan)
    {
        while (!_run.StopSending.IsCancellationRequested && plan.TryFill(_batch))
        {
            _batch.FirstSequence = _sequence;
            _sequence += _batch.Count;
            _encoder.Encode(_batch);
            await SendAsync();
        }
    }

    private void Fill()
    {
        var batch = _batch;
        var workload = _run.Workload;
        batch.Count = batch.Capacity;
        batch.FirstSequence = _sequence;
        _sequence += batch.Count;
        for (var i = 0; i < batch.Count; i++)
        {
            var workspace = workload.PickWorkspace(_random);
            batch.Workspace[i] = workspace;
            batch.User[i] = workload.PickUser(_random, workspace);
            batch.Name[i] = workload.PickName(_random);
        }

        batch.CrossingSlots.Clear();
        var now = Stopwatch.GetTimestamp();
        var room = Math.Min(EventBatch.MaxCrossingsPerBatch, batch.Count);
        while (batch.CrossingSlots.Count < room && _run.Crossings.TryTake(now, out var crossing))
        {
            var slot = _random.Next(batch.Count);
            while (batch.CrossingSlots.Contains(slot)) slot = (slot + 1) % batch.Count;
            batch.CrossingSlots.Add(slot);
            batch.Workspace[slot] = crossing;
            batch.User[slot] = workload.PickUser(_random, crossing);
            batch.Name[slot] = Workload.LimitReached;
        }
    }

    private async Task SendAsync()
    {
        var batch = _batch;
        var counters = _run.Stats.Current;
        var measuring = _run.Stats.Measuring;
        Interlocked.Add(ref counters.EventsSent, batch.Count);
        var attempt = 0;
        // Once a request may have reached the engine (503, timeout, broken connection), duplicates on retry are expected.
        var mayHaveLanded = false;
        while (true)
        {
            if (_run.HardStop.IsCancellationRequested)
            {
                Abandon(counters);
                return;
            }
            using var request = new HttpRequestMessage(HttpMethod.Post, _run.NextEndpoint())
            {
                Content = new ReadOnlyMemoryContent(batch.Body.WrittenMemory) { Headers = { ContentType = _encoder.ContentType } },
            };
            var started = Stopwatch.GetTimestamp();
            if (attempt++ == 0)
            {
                foreach (var slot in batch.CrossingSlots) _run.Plays.MarkSent(batch.Workspace[slot], started);
            }
            Interlocked.Increment(ref counters.Requests);

            HttpResponseMessage response;
            try
            {
                response = await _run.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _run.HardStop);
            }
            catch (OperationCanceledException) when (_run.HardStop.IsCancellationRequested)
            {
                Abandon(counters);
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                mayHaveLanded = true;
                Interlocked.Increment(ref counters.Errors);
                _run.Stats.NoteError(ex is OperationCanceledException ? "POST /v1/events timed out" : $"POST /v1/events failed: {ex.Message}");
                if (!await DelayAsync(Backoff(attempt))) { Abandon(counters); return; }
                continue;
            }

            using (response)
            {
                var status = response.StatusCode;
                if (status == HttpStatusCode.Accepted)
                {
                    int length;
                    try
                    {
                        length = await ReadBodyAsync(response);
                    }
                    catch (OperationCanceledException) when (_run.HardStop.IsCancellationRequested)
                    {
                        Abandon(counters);
                        return;
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // Acknowledged, but we cannot tell which events: count it as given up rather than guess.
                        _run.Stats.NoteError($"reading a 202 failed: {ex.Message}");
                        Interlocked.Increment(ref counters.Errors);
                        Abandon(counters);
                        return;
                    }
                    if (measuring) _run.Stats.AckLatency.Record(started, Stopwatch.GetTimestamp());
                    Acknowledge(counters, length, mayHaveLanded);
                    return;
                }
                if (status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                {
                    mayHaveLanded |= status == HttpStatusCode.ServiceUnavailable;
                    Interlocked.Increment(ref counters.Throttled);
                    if (!await DelayAsync(RetryAfter(response))) { Abandon(counters); return; }
                    continue;
                }

                var text = await ReadTextAsync(response);
                var message = $"POST /v1/events answered {(int)status} {status}: {text}";
                if ((int)status is >= 400 and < 500)
                {
                    // The same body would fail again (bad key, too large, malformed): stop instead of hammering.
                    _run.Aborter.Abort(message);
                    Abandon(counters);
                    return;
                }
                mayHaveLanded = true;
                Interlocked.Increment(ref counters.Errors);
                _run.Stats.NoteError(message);
                if (!await DelayAsync(Backoff(attempt))) { Abandon(counters); return; }
            }
        }
    }

    private void Acknowledge(PhaseCounters counters, int length, bool mayHaveLanded)
    {
        var batch = _batch;
        if (!TryParseAck(_response.AsSpan(0, length), _rejected, out var accepted, out var duplicates, out var firstError))
        {
            _run.Stats.NoteError("202 with a body that is not {accepted, duplicates, rejected}: " + Encoding.UTF8.GetString(_response, 0, Math.Min(length, 200)));
            Interlocked.Increment(ref counters.Errors);
            Abandon(counters);
            return;
        }
        Array.Clear(_rejectedSlot);
        foreach (var index in _rejected)
            if ((uint)index < (uint)batch.Count) _rejectedSlot[index] = true;
        var rejected = _rejected.Count;
        if (rejected > 0)
        {
            Interlocked.Add(ref counters.EventsRejected, rejected);
            _run.Stats.NoteError($"event rejected: {firstError}");
        }
        Interlocked.Add(ref counters.EventsAccepted, batch.Count - rejected);
        if (duplicates > 0)
            Interlocked.Add(ref mayHaveLanded ? ref counters.DuplicatesOnRetry : ref counters.UnexpectedDuplicates, duplicates);
        if (accepted + duplicates + rejected != batch.Count)
            _run.Stats.NoteError($"202 accounts for {accepted + duplicates + rejected} of {batch.Count} events (accepted {accepted}, duplicates {duplicates}, rejected {rejected})");

        var acknowledged = _run.Stats.Acknowledged;
        for (var i = 0; i < batch.Count; i++)
            if (!_rejectedSlot[i]) Interlocked.Increment(ref acknowledged[batch.Workspace[i]]);
        foreach (var slot in batch.CrossingSlots)
            if (!_rejectedSlot[slot]) _run.Plays.MarkExpected();
    }

    private void Abandon(PhaseCounters counters)
    {
        var batch = _batch;
        Interlocked.Add(ref counters.EventsAbandoned, batch.Count);
        for (var i = 0; i < batch.Count; i++) Interlocked.Increment(ref _run.Stats.Uncertain[batch.Workspace[i]]);
        foreach (var _ in batch.CrossingSlots) _run.Plays.MarkAbandoned();
    }

    /// <summary>Reads the response into the sender's reused buffer; returns its length.</summary>
    private async Task<int> ReadBodyAsync(HttpResponseMessage response)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(_run.HardStop);
        var total = 0;
        while (true)
        {
            if (total == _response.Length) Array.Resize(ref _response, total * 2);
            var read = await stream.ReadAsync(_response.AsMemory(total), _run.HardStop);
            if (read == 0) return total;
            total += read;
        }
    }

    private async Task<string> ReadTextAsync(HttpResponseMessage response)
    {
        try
        {
            var length = await ReadBodyAsync(response);
            var text = Encoding.UTF8.GetString(_response, 0, Math.Min(length, 500));
            return text.Length == 0 ? "(empty body)" : text;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
        {
            return $"(body unreadable: {ex.Message})";
        }
    }

    /// <summary>Parses <c>{"accepted":n,"duplicates":n,"rejected":[{"index":i,"eventId":..,"error":..}]}</c>.</summary>
    internal static bool TryParseAck(ReadOnlySpan<byte> json, List<int> rejected, out int accepted, out int duplicates, out string? firstError)
    {
        accepted = duplicates = 0;
        firstError = null;
        rejected.Clear();
        var seen = 0;
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("accepted"u8)) { reader.Read(); accepted = reader.GetInt32(); seen |= 1; }
                else if (reader.ValueTextEquals("duplicates"u8)) { reader.Read(); duplicates = reader.GetInt32(); seen |= 2; }
                else if (reader.ValueTextEquals("rejected"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray) return false;
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var index = -1;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            if (reader.ValueTextEquals("index"u8)) { reader.Read(); index = reader.GetInt32(); }
                            else if (reader.ValueTextEquals("error"u8)) { reader.Read(); firstError ??= reader.GetString(); }
                            else { reader.Read(); reader.Skip(); }
                        }
                        rejected.Add(index);
                    }
                    seen |= 4;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return false;
        }
        return seen == 7;
    }

    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var delay = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(1));
        return TimeSpan.FromMilliseconds(Math.Clamp(delay.TotalMilliseconds, 50, MaxRetryDelay.TotalMilliseconds));
    }

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(2000, 100 * Math.Pow(2, Math.Min(attempt - 1, 5))) * (0.5 + _random.NextDouble()));

    /// <summary>False when the grace period ended while waiting.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _run.HardStop);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
