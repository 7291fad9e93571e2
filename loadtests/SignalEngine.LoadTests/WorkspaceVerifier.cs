using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace SignalEngine.LoadTests;

internal sealed record VerifyMismatch(string WorkspaceId, long Acknowledged, long Uncertain, long EventsApplied, string Kind);

internal sealed record VerifySummary(
    int WorkspacesWithEvents,
    int Checked,
    int Matched,
    int Lost,
    long LostEvents,
    int Doubled,
    long DoubledEvents,
    int Unreachable,
    double SettleSeconds,
    IReadOnlyList<VerifyMismatch> Mismatches);

/// <summary>
/// Compares each workspace's <c>metrics.eventsApplied</c> with the events acknowledged for it. Events
/// are applied asynchronously after the 202, so counts below the expectation are polled again until
/// they stop moving; only then is the shortfall reported as lost. A batch given up on mid-retry may or
/// may not have landed, so its events widen the accepted range instead of counting either way.
/// </summary>
internal static class WorkspaceVerifier
{
    public const int MaxChecked = 2000;
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(60);

    public static async Task<VerifySummary> RunAsync(HttpClient http, IReadOnlyList<Uri> targets, Workload workload, RunStatistics stats,
        int seed, int parallelism, Action<string> say, CancellationToken cancellationToken)
    {
        var candidates = Enumerable.Range(0, workload.Count).Where(i => stats.Acknowledged[i] + stats.Uncertain[i] > 0).ToArray();
        var chosen = candidates;
        if (candidates.Length > MaxChecked)
        {
            chosen = (int[])candidates.Clone();
            new Random(seed).Shuffle(chosen);
            chosen = chosen[..MaxChecked];
        }
        say($"verify: checking eventsApplied of {chosen.Length} of {candidates.Length} workspaces that received events");

        var applied = new long[workload.Count];
        var unreachable = new HashSet<int>();
        var pending = chosen.ToList();
        var started = Stopwatch.GetTimestamp();
        var lastChange = started;
        long previousSum = -1;
        while (true)
        {
            var failed = new System.Collections.Concurrent.ConcurrentBag<int>();
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (i, ct) =>
            {
                var value = await EventsAppliedAsync(http, targets[i % targets.Count], workload.WorkspaceIds[i], ct);
                if (value is null) failed.Add(i);
                else applied[i] = value.Value;
            });
            unreachable = [.. failed];
            // Keep polling only workspaces still short of what was acknowledged.
            pending = pending.Where(i => unreachable.Contains(i) || applied[i] < stats.Acknowledged[i]).ToList();
            var sum = pending.Sum(i => applied[i]);
            if (sum != previousSum) lastChange = Stopwatch.GetTimestamp();
            previousSum = sum;
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (pending.Count == 0 || Stopwatch.GetElapsedTime(lastChange) >= QuietPeriod || elapsed >= MaxSettle) break;
            await Task.Delay(500, cancellationToken);
        }

        var mismatches = new List<VerifyMismatch>();
        int lost = 0, doubled = 0, matched = 0;
        long lostEvents = 0, doubledEvents = 0;
        foreach (var i in chosen)
        {
            if (unreachable.Contains(i)) continue;
            var low = stats.Acknowledged[i];
            var high = low + stats.Uncertain[i];
            if (applied[i] < low)
            {
                lost++;
                lostEvents += low - applied[i];
                mismatches.Add(new VerifyMismatch(workload.WorkspaceIds[i], low, stats.Uncertain[i], applied[i], "lost"));
            }
            else if (applied[i] > high)
            {
                doubled++;
                doubledEvents += applied[i] - high;
                mismatches.Add(new VerifyMismatch(workload.WorkspaceIds[i], low, stats.Uncertain[i], applied[i], "doubled"));
            }
            else matched++;
        }
        return new VerifySummary(candidates.Length, chosen.Length, matched, lost, lostEvents, doubled, doubledEvents, unreachable.Count,
            Math.Round(Stopwatch.GetElapsedTime(started).TotalSeconds, 1),
            mismatches.OrderByDescending(m => Math.Abs(m.EventsApplied - m.Acknowledged)).Take(20).ToList());
    }

    /// <summary>The workspace's eventsApplied; 0 for an unknown workspace; null when the engine could not be asked.</summary>
    private static async Task<long?> EventsAppliedAsync(HttpClient http, Uri target, string workspaceId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(target, "v1/workspaces/" + workspaceId), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound) return 0;
            if (!response.IsSuccessStatusCode) return null;
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
            return document.RootElement.TryGetProperty("metrics", out var metrics)
                && metrics.TryGetProperty("eventsApplied", out var value)
                && value.TryGetInt64(out var count) ? count : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
