using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace SignalEngine.LoadTests;

/// <summary>
/// One run: profiles for every workspace, the play stream, warm-up, the measured time, a short drain,
/// the wait for missing plays, and the optional verification; then the report.
/// </summary>
internal sealed class LoadRun(LoadOptions options, IReadOnlyList<Uri> targets, string apiKey, string runId, Func<string?> engineProblem, Action<string> say, Func<long?>? engineResidentBytes = null)
{
    /// <summary>How long batches in flight at the end may keep retrying before they are given up.</summary>
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan StreamConnectTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private long _measureStart;
    private long _lastProgress;
    private readonly List<ProgressSample> _series = [];

    /// <summary>The progress lines as numbers (one per report, about every second), for <c>--plot</c>.</summary>
    public IReadOnlyList<ProgressSample> Series => _series;
    private long _lastAccepted;

    public async Task<LoadReport> ExecuteAsync(CancellationToken interrupt)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var workload = new Workload(runId, options.Workspaces, options.UsersPerWorkspace, options.Seed, options.ExactUsers);
        say($"workload: {workload.Count:N0} workspaces, {workload.TotalUsers:N0} users (median {Median(workload.UserCounts)}, max {workload.UserCounts.Max()}); " +
            $"the busiest 1% of workspaces send {workload.TopShare(0.01) * 100:0}% of events; run id {runId}");

        using var abortSource = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
        var aborter = new RunAbort(abortSource);
        using var http = NewClient(options.Connections, RequestTimeout);
        using var streamHttp = NewClient(1, Timeout.InfiniteTimeSpan);
        var stats = new RunStatistics(workload.Count);
        var plays = new PlayTracker(workload);
        var crossings = options.EffectiveCrossings;
        PlayStreamListener? listener = null;
        CrossingSchedule? schedule = null;
        VerifySummary? verify = null;
        double measuredSeconds = 0;
        ClientUsage? usage = null;
        EngineMemory? memory = null;

        try
        {
            say($"setup: PUT /v1/workspaces for {workload.Count:N0} workspaces");
            var setup = Stopwatch.GetTimestamp();
            await WorkspaceProfiles.PutAllAsync(http, targets, workload, options.Seed, options.Connections, aborter.Token);
            say($"setup: done in {Stopwatch.GetElapsedTime(setup).TotalSeconds:0.0}s");
            if (options.PopulateDays > 0)
                memory = await PopulateAsync(workload, http, stats, plays, aborter);

            using var streamStop = CancellationTokenSource.CreateLinkedTokenSource(aborter.Token);
            var listening = Task.CompletedTask;
            if (crossings > 0)
            {
                listener = new PlayStreamListener(streamHttp, targets[0], plays, aborter.Abort);
                listening = listener.RunAsync(streamStop.Token);
                try
                {
                    await listener.Connected.WaitAsync(StreamConnectTimeout, aborter.Token);
                }
                catch (TimeoutException)
                {
                    throw new RunAbortedException($"the play stream did not connect within {StreamConnectTimeout.TotalSeconds:0}s ({listener.LastProblem ?? "no answer"})");
                }
                say($"plays: subscribed to {new Uri(targets[0], "v1/plays/stream")}?ruleId={PlayTracker.RuleId}");
            }

            var start = Stopwatch.GetTimestamp();
            var warmupTicks = (long)(options.Warmup.TotalSeconds * Stopwatch.Frequency);
            var durationTicks = (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            // Crossings are spread over the first 90% of the measured time, so the last ones are still sent and measured.
            schedule = new CrossingSchedule(workload.CrossingOrder, crossings, start + warmupTicks, crossings == 0 ? 0 : durationTicks * 9 / 10 / crossings);
            using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(aborter.Token);
            using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(aborter.Token);
            stopSending.CancelAfter(options.Warmup + options.Duration);
            using var drain = stopSending.Token.Register(() => hardStop.CancelAfter(DrainGrace));

            var context = NewContext(aborter, workload, http, stats, plays, schedule,
                options.Rate is { } rate ? new RateLimiter(rate) : null, stopSending.Token, hardStop.Token);
            if (options.Rate is { } perSecond && options.Batch > perSecond)
                say($"note: --batch {options.Batch} at --rate {perSecond} sends one request every {options.Batch / (double)perSecond:0.#}s");
            say($"load: {options.Connections} senders, batches of {options.Batch} ({FormatName(options.Format)}), rate {(options.Rate is { } r ? r.ToString("N0", CultureInfo.InvariantCulture) + "/s" : "max")}, " +
                $"warm-up {options.Warmup.TotalSeconds:0.#}s, measuring {options.Duration.TotalSeconds:0.#}s, {crossings:N0} limit.reached crossings");

            var client = ClientUsage.Start();
            if (warmupTicks == 0) StartMeasuring(stats, start);
            _lastProgress = start;
            var sending = Task.WhenAll(Enumerable.Range(0, options.Connections).Select(i => Task.Run(() => new EventSender(context, i).RunAsync())));
            var measuring = warmupTicks == 0 ? Task.CompletedTask : MeasureAfterAsync(stats, options.Warmup, stopSending.Token);
            using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1)))
            {
                // A timer allows one pending wait at a time: keep it across iterations.
                Task<bool>? tick = null;
                while (!sending.IsCompleted)
                {
                    tick ??= timer.WaitForNextTickAsync().AsTask();
                    await Task.WhenAny(sending, tick);
                    if (tick.IsCompleted) tick = null;
                    if (engineProblem() is { } problem) aborter.Abort(problem);
                    // The last tick is usually a fraction of a second: its rate would only be noise.
                    if (!sending.IsCompleted || Stopwatch.GetElapsedTime(_lastProgress) >= TimeSpan.FromSeconds(0.5))
                        Progress(stats, plays, start, sending.IsCompleted ? "drain" : stats.Measuring ? "measure" : "warmup");
                }
                await sending;
                await measuring;
                var end = Stopwatch.GetTimestamp();
                usage = client.Stop(stats.Warmup.EventsSent + stats.Measured.EventsSent);
                if (_measureStart != 0) measuredSeconds = (end - _measureStart) / (double)Stopwatch.Frequency;

                if (crossings > 0 && aborter.Reason is null)
                {
                    var deadline = end + (long)(options.PlayTimeout.TotalSeconds * Stopwatch.Frequency);
                    while (!plays.AllReceived && Stopwatch.GetTimestamp() < deadline && !aborter.Token.IsCancellationRequested)
                    {
                        await Task.Delay(100, aborter.Token);
                        if (Stopwatch.GetElapsedTime(_lastProgress) >= TimeSpan.FromSeconds(1)) Progress(stats, plays, start, "plays");
                    }
                }
            }
            await streamStop.CancelAsync();
            await listening;

            if (options.Verify && aborter.Reason is null && !interrupt.IsCancellationRequested)
                verify = await WorkspaceVerifier.RunAsync(http, targets, workload, stats, options.Seed, options.Connections, say, interrupt);
        }
        catch (RunAbortedException ex)
        {
            aborter.Abort(ex.Message);
        }
        catch (OperationCanceledException) when (abortSource.IsCancellationRequested)
        {
            // The reason was recorded where the run was stopped (or it was Ctrl+C).
        }

        var reason = aborter.Reason ?? (interrupt.IsCancellationRequested ? "interrupted (Ctrl+C)" : null);
        if (engineResidentBytes?.Invoke() is { } atEnd)
        {
            memory = (memory ?? new EngineMemory(null, null, 0)) with { ResidentBytesAtEnd = atEnd };
            say($"engine: resident memory at the end {atEnd / 1048576.0:N0} MiB ({atEnd / (double)workload.Count:N0} bytes per workspace)");
        }
        return LoadReport.Build(options, targets, runId, startedAt, workload, stats, plays, schedule, listener, measuredSeconds, verify, usage, reason) with { EngineMemory = memory };
    }

    private RunContext NewContext(RunAbort aborter, Workload workload, HttpClient http, RunStatistics stats, PlayTracker plays,
        CrossingSchedule crossings, RateLimiter? limiter, CancellationToken stopSending, CancellationToken hardStop) => new()
    {
        Aborter = aborter,
        Options = options,
        Workload = workload,
        Http = http,
        EventEndpoints = targets.Select(t => new Uri(t, "v1/events")).ToArray(),
        Stats = stats,
        Plays = plays,
        Crossings = crossings,
        Limiter = limiter,
        StopSending = stopSending,
        HardStop = hardStop,
    };

    /// <summary>The engine's resident memory (whole process, from /proc), when this run started the engine.</summary>
    internal sealed record EngineMemory(long? ResidentBytesAfterPopulate, long? ResidentBytesAtEnd, long PopulatedEvents);

    /// <summary>
    /// <c>--populate</c>: sends the history (every user of every workspace once a day), then lets delivery settle
    /// and reads the engine's resident memory: what the engine holds per workspace with that state.
    /// </summary>
    private async Task<EngineMemory?> PopulateAsync(Workload workload, HttpClient http, RunStatistics stats, PlayTracker plays, RunAbort aborter)
    {
        var plan = new PopulationPlan(workload, options.PopulateDays);
        say($"populate: {plan.TotalEvents:N0} events ({options.PopulateDays} days x {workload.TotalUsers:N0} users), oldest day first");
        // The history is not paced and carries no crossings; it stops only if the run aborts.
        var context = NewContext(aborter, workload, http, stats, plays, new CrossingSchedule([], 0, 0, 0), limiter: null, aborter.Token, aborter.Token);
        var started = Stopwatch.GetTimestamp();
        // Sender ids past the run's own, so the event ids never collide with the run's.
        var sending = Task.WhenAll(Enumerable.Range(0, options.Connections).Select(i => Task.Run(() => new EventSender(context, 0x10000 + i).PopulateAsync(plan))));
        while (await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(5))) != sending)
            say(string.Create(CultureInfo.InvariantCulture, $"populate: {stats.TotalAccepted:N0} of {plan.TotalEvents:N0} events accepted"));
        await sending;
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        say(string.Create(CultureInfo.InvariantCulture, $"populate: {stats.TotalAccepted:N0} events in {seconds:0.0}s ({stats.TotalAccepted / seconds:N0} events/s)"));
        if (engineResidentBytes is null) return null;
        // Acknowledged is not yet applied: give delivery and the first checkpoints time to finish.
        await Task.Delay(TimeSpan.FromSeconds(15), aborter.Token);
        var resident = engineResidentBytes();
        if (resident is { } bytes)
            say($"populate: engine resident memory {bytes / 1048576.0:N0} MiB, {bytes / (double)workload.Count:N0} bytes per workspace (whole process)");
        return new EngineMemory(resident, null, stats.TotalAccepted);
    }

    private async Task MeasureAfterAsync(RunStatistics stats, TimeSpan warmup, CancellationToken stopSending)
    {
        try
        {
            await Task.Delay(warmup, stopSending);
            StartMeasuring(stats, Stopwatch.GetTimestamp());
        }
        catch (OperationCanceledException)
        {
            // Stopped during warm-up: nothing was measured.
        }
    }

    private void StartMeasuring(RunStatistics stats, long now)
    {
        stats.StartMeasuring();
        Volatile.Write(ref _measureStart, now);
    }

    private void Progress(RunStatistics stats, PlayTracker plays, long start, string phase)
    {
        var now = Stopwatch.GetTimestamp();
        var accepted = stats.TotalAccepted;
        var seconds = (now - _lastProgress) / (double)Stopwatch.Frequency;
        var rate = seconds > 0 ? (accepted - _lastAccepted) / seconds : 0;
        _lastProgress = now;
        _lastAccepted = accepted;
        var (ackP99, _) = stats.AckLatency.SampleP99();
        var (_, playP99) = plays.Latency.SampleP99();
        var errors = Volatile.Read(ref stats.Warmup.Errors) + Volatile.Read(ref stats.Measured.Errors);
        var throttled = Volatile.Read(ref stats.Warmup.Throttled) + Volatile.Read(ref stats.Measured.Throttled);
        var elapsed = (now - start) / (double)Stopwatch.Frequency;
        _series.Add(new ProgressSample(elapsed, phase, rate, ackP99, playP99));
        say(string.Create(CultureInfo.InvariantCulture,
            $"[{elapsed,6:0.0}s] {phase,-7} {rate,10:N0} ev/s | ack p99 {Ms(ackP99)} | play p99 {Ms(playP99)} | " +
            $"plays {Volatile.Read(ref plays.Received):N0}/{Volatile.Read(ref plays.Expected):N0} | errors {errors:N0} | 429/503 {throttled:N0}"));
    }

    private static string Ms(double? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v,8:0.0} ms") : "       - ms";

    private HttpClient NewClient(int connections, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            // Loopback by default: a proxy from the environment would only distort the numbers.
            UseProxy = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        var client = new HttpClient(handler) { Timeout = timeout };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("signalengine-load", "1.0"));
        return client;
    }

    private static int Median(int[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    /// <summary>What the load generator itself used while sending, to tell a saturated client from a saturated engine.</summary>
    internal sealed record ClientUsage(double CpuSeconds, double CpuCores, double AllocatedBytesPerEvent, int Gen0Collections, int Gen2Collections)
    {
        public static Probe Start() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(), Stopwatch.GetTimestamp(),
            GC.CollectionCount(0), GC.CollectionCount(2));

        internal sealed record Probe(TimeSpan Cpu, long Allocated, long Ticks, int Gen0, int Gen2)
        {
            public ClientUsage Stop(long events)
            {
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - Cpu).TotalSeconds;
                var wall = Stopwatch.GetElapsedTime(Ticks).TotalSeconds;
                return new ClientUsage(Math.Round(cpu, 2), wall > 0 ? Math.Round(cpu / wall, 2) : 0,
                    events > 0 ? Math.Round((GC.GetTotalAllocatedBytes() - Allocated) / (double)events, 1) : 0,
                    GC.CollectionCount(0) - Gen0, GC.CollectionCount(2) - Gen2);
            }
        }
    }

    internal static string FormatName(BodyFormat format) => format == BodyFormat.Json ? "json" : "msgpack";
}
