using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using SignalEngine.Core.Plays;

namespace SignalEngine.Grains;

/// <summary>How many plays the ledger keeps for queries.</summary>
public sealed record PlayLedgerOptions
{
    public int MaxRetainedPlays { get; init; } = 100_000;

    /// <summary>An observer that has not renewed its subscription within this time is dropped.</summary>
    public TimeSpan ObserverExpiry { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Keeps the most recent plays (bounded), newest state per play id, and pushes every change to the
/// subscribed silo feeds. A play it already holds in the same status is ignored, so retries are harmless.
/// </summary>
public sealed class PlayLedgerGrain(PlayLedgerOptions options, ILogger<PlayLedgerGrain> logger) : Grain, IPlayLedgerGrain
{
    private readonly Dictionary<string, Play> _plays = new(StringComparer.Ordinal);
    private readonly Queue<string> _firingOrder = new();
    private readonly ObserverManager<IPlayObserver> _observers = new(options.ObserverExpiry, logger);

    public Task Record(PlayBatch batch)
    {
        List<Play>? changed = null;
        foreach (var play in batch.Plays)
        {
            if (_plays.TryGetValue(play.PlayId, out var known))
            {
                if (known.Status == play.Status) continue;
                // Keep when it first fired: a reopened or re-sent play is the same play.
                var updated = play with { FiredAt = known.FiredAt };
                _plays[play.PlayId] = updated;
                (changed ??= []).Add(updated);
                continue;
            }
            _firingOrder.Enqueue(play.PlayId);
            _plays[play.PlayId] = play;
            (changed ??= []).Add(play);
        }
        while (_plays.Count > options.MaxRetainedPlays && _firingOrder.TryDequeue(out var oldest)) _plays.Remove(oldest);
        // Shadow plays are recorded for the query API but never delivered.
        if (changed?.Where(p => !p.Shadow).ToArray() is { Length: > 0 } delivered)
        {
            var update = new PlayBatch(delivered);
            _observers.Notify(observer => observer.OnPlays(update));
        }
        return Task.CompletedTask;
    }

    public Task<Play[]> Query(PlayQuery query) => Task.FromResult(_plays.Values
        .Where(query.Matches)
        .OrderByDescending(p => p.FiredAt)
        .ThenByDescending(p => p.PlayId, StringComparer.Ordinal)
        .Take(Math.Clamp(query.Limit, 1, PlayQuery.MaxLimit))
        .ToArray());

    public Task Subscribe(IPlayObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IPlayObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }
}
