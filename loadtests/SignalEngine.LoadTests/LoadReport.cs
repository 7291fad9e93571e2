using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace SignalEngine.LoadTests;

internal sealed record PhaseSummary(long EventsSent, long EventsAccepted, long Requests, long Errors, long Throttled);

internal sealed record WorkloadSummary(int Workspaces, long Users, int MaxUsers, double TopOnePercentShare);

/// <summary>The result of a run: the console summary and the machine-readable report are both drawn from it.</summary>
internal sealed record LoadReport
{
    public required string RunId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required bool Passed { get; init; }
    public required IReadOnlyList<string> Failures { get; init; }
    public string? Aborted { get; init; }

    // Measured time only (after the warm-up); a batch counts in the phase it started in.
    public required long EventsSent { get; init; }
    public required long EventsAccepted { get; init; }
    public required long EventsRejected { get; init; }
    public required long EventsAbandoned { get; init; }
    public required long Requests { get; init; }
    public required double DurationSeconds { get; init; }
    public required double EventsPerSecond { get; init; }
    public required LatencySummary AckLatencyMs { get; init; }
    public required LatencySummary PlayLatencyMs { get; init; }
    public required long CrossingsPlanned { get; init; }
    public required long CrossingsSent { get; init; }
    public required long PlaysExpected { get; init; }
    public required long PlaysReceived { get; init; }
    public required long DuplicatePlays { get; init; }
    public required long ExtraPlays { get; init; }
    public required long UnexpectedPlays { get; init; }
    public required long PlayStreamReconnects { get; init; }
    public required long Errors { get; init; }
    public required long Throttled { get; init; }
    public required long DuplicatesOnRetry { get; init; }
    public required long UnexpectedDuplicates { get; init; }
    public required PhaseSummary Warmup { get; init; }
    public required WorkloadSummary Workload { get; init; }
    public VerifySummary? Verify { get; init; }
    public LoadRun.ClientUsage? Client { get; init; }

    /// <summary>With --self-host: the engine process's resident memory after --populate and at the end.</summary>
    public LoadRun.EngineMemory? EngineMemory { get; init; }
    public required IReadOnlyList<ErrorSample> ErrorSamples { get; init; }
    public required IReadOnlyDictionary<string, object?> Options { get; init; }

    public static LoadReport Build(LoadOptions options, IReadOnlyList<Uri> targets, string runId, DateTimeOffset startedAt, Workload workload,
        RunStatistics stats, PlayTracker plays, CrossingSchedule? schedule, PlayStreamListener? listener, double measuredSeconds,
        VerifySummary? verify, LoadRun.ClientUsage? client, string? aborted)
    {
        var m = stats.Measured;
        var w = stats.Warmup;
        var described = new Dictionary<string, object?>(options.Describe()) { ["target"] = targets.Select(t => t.ToString()).ToArray() };
        var report = new LoadReport
        {
            RunId = runId,
            StartedAt = startedAt,
            Passed = false,
            Failures = [],
            Aborted = aborted,
            EventsSent = m.EventsSent,
            EventsAccepted = m.EventsAccepted,
            EventsRejected = m.EventsRejected + w.EventsRejected,
            EventsAbandoned = m.EventsAbandoned + w.EventsAbandoned,
            Requests = m.Requests,
            DurationSeconds = Math.Round(measuredSeconds, 3),
            EventsPerSecond = measuredSeconds > 0 ? Math.Round(m.EventsAccepted / measuredSeconds, 1) : 0,
            AckLatencyMs = stats.AckLatency.Summary(),
            PlayLatencyMs = plays.Latency.Summary(),
            CrossingsPlanned = schedule?.Planned ?? 0,
            CrossingsSent = plays.Sent,
            PlaysExpected = plays.Expected,
            PlaysReceived = plays.Received,
            DuplicatePlays = plays.Duplicates,
            ExtraPlays = plays.Extra,
            UnexpectedPlays = plays.Unexpected,
            PlayStreamReconnects = listener?.Reconnects ?? 0,
            Errors = m.Errors + w.Errors,
            Throttled = m.Throttled + w.Throttled,
            DuplicatesOnRetry = m.DuplicatesOnRetry + w.DuplicatesOnRetry,
            UnexpectedDuplicates = m.UnexpectedDuplicates + w.UnexpectedDuplicates,
            Warmup = new PhaseSummary(w.EventsSent, w.EventsAccepted, w.Requests, w.Errors, w.Throttled),
            Workload = new WorkloadSummary(workload.Count, workload.TotalUsers, workload.UserCounts.Max(), Math.Round(workload.TopShare(0.01), 4)),
            Verify = verify,
            Client = client,
            ErrorSamples = stats.ErrorSamples(),
            Options = described,
        };
        var failures = Judge(report, options);
        return report with { Passed = failures.Count == 0, Failures = failures };
    }

    private static List<string> Judge(LoadReport r, LoadOptions options)
    {
        var failures = new List<string>();
        if (r.Aborted is { } reason) failures.Add($"aborted: {reason}");
        if (r.EventsAccepted == 0) failures.Add("no events were accepted in the measured time");
        if (r.EventsRejected > 0) failures.Add($"{r.EventsRejected:N0} generated events were rejected (see errors)");
        if (r.UnexpectedDuplicates > 0) failures.Add($"{r.UnexpectedDuplicates:N0} first-time events were reported as duplicates");
        if (options.EffectiveCrossings > 0)
        {
            if (r.PlaysReceived < r.PlaysExpected) failures.Add($"{r.PlaysExpected - r.PlaysReceived:N0} of {r.PlaysExpected:N0} expected plays did not arrive within {options.PlayTimeout.TotalSeconds:0.#}s");
            if (r.DuplicatePlays > 0) failures.Add($"{r.DuplicatePlays:N0} plays arrived twice (same play id)");
            if (r.ExtraPlays > 0) failures.Add($"{r.ExtraPlays:N0} workspaces got more than one {PlayTracker.RuleId} play for one limit.reached");
            if (r.UnexpectedPlays > 0) failures.Add($"{r.UnexpectedPlays:N0} {PlayTracker.RuleId} plays for workspaces that were sent no limit.reached");
        }
        if (r.Verify is { } v)
        {
            if (v.Lost > 0) failures.Add($"verify: {v.Lost:N0} workspaces lost {v.LostEvents:N0} acknowledged events");
            if (v.Doubled > 0) failures.Add($"verify: {v.Doubled:N0} workspaces applied {v.DoubledEvents:N0} events more than were sent");
            if (v.Unreachable > 0) failures.Add($"verify: {v.Unreachable:N0} workspaces could not be read");
        }
        return failures;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void WriteJson(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions) + "\n");
    }

    public void Print(IAnsiConsole console)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("SignalEngine load run " + RunId);
        table.AddColumn("");
        table.AddColumn("");
        table.HideHeaders();
        void Row(string name, string value) => table.AddRow(new Text(name), new Text(value));

        Row("throughput", $"{EventsPerSecond:N0} events/s accepted over {DurationSeconds:0.0}s (after {Warmup.EventsAccepted:N0} warm-up events)");
        Row("events", $"sent {EventsSent:N0}, accepted {EventsAccepted:N0}, rejected {EventsRejected:N0}, given up {EventsAbandoned:N0}");
        Row("requests", $"{Requests:N0}; 429/503 {Throttled:N0}; errors {Errors:N0}; duplicates on retry {DuplicatesOnRetry:N0}");
        Row("ack latency", Latency(AckLatencyMs));
        Row("play latency", PlaysExpected + PlaysReceived == 0 ? "(no crossings)" : Latency(PlayLatencyMs));
        Row("plays", $"expected {PlaysExpected:N0}, received {PlaysReceived:N0}, duplicate {DuplicatePlays:N0}, extra {ExtraPlays:N0}, unexpected {UnexpectedPlays:N0} " +
            $"(crossings sent {CrossingsSent:N0} of {CrossingsPlanned:N0})");
        if (Verify is { } v)
        {
            Row("verify", $"{v.Checked:N0} of {v.WorkspacesWithEvents:N0} workspaces checked: {v.Matched:N0} match, {v.Lost:N0} lost ({v.LostEvents:N0} events), " +
                $"{v.Doubled:N0} doubled ({v.DoubledEvents:N0} events), {v.Unreachable:N0} unreadable; settled in {v.SettleSeconds:0.0}s");
            foreach (var mismatch in v.Mismatches.Take(5))
                Row("", $"{mismatch.Kind}: {mismatch.WorkspaceId} acknowledged {mismatch.Acknowledged:N0} (+{mismatch.Uncertain:N0} uncertain), applied {mismatch.EventsApplied:N0}");
        }
        if (Client is { } c)
            Row("load generator", $"{c.CpuCores:0.00} cores ({c.CpuSeconds:0.0} CPU s), {c.AllocatedBytesPerEvent:0} bytes allocated per event, GCs gen0 {c.Gen0Collections} gen2 {c.Gen2Collections}");
        foreach (var error in ErrorSamples.Take(5)) Row("error", $"{error.Count:N0}x {error.Message}");
        Row("result", Passed ? "PASS" : "FAIL: " + string.Join("; ", Failures));
        console.Write(table);
    }

    private static string Latency(LatencySummary s) => string.Create(CultureInfo.InvariantCulture,
        $"p50 {s.P50:0.0} ms, p90 {s.P90:0.0} ms, p99 {s.P99:0.0} ms, p99.9 {s.P999:0.0} ms, max {s.Max:0.0} ms ({s.Count:N0} samples)");
}
