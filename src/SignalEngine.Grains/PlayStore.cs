using SignalEngine.Core.Plays;

namespace SignalEngine.Grains;

/// <summary>
/// Where the play ledger keeps plays: each play once, in its latest status. Recording is idempotent by
/// play id and status, so a workspace can re-send its outbox after any failure. Durable mode keeps them
/// in PostgreSQL (so the feed and queries survive restarts); memory mode keeps the most recent ones.
/// </summary>
public interface IPlayStore
{
    /// <summary>Stores new plays and status changes; returns those that were actually new or changed, in their stored form.</summary>
    Task<IReadOnlyList<Play>> RecordAsync(IReadOnlyList<Play> plays);

    /// <summary>Plays matching the query, newest first.</summary>
    Task<Play[]> QueryAsync(PlayQuery query);
}

/// <summary>Memory mode: the most recent <see cref="PlayLedgerOptions.MaxRetainedPlays"/> plays.</summary>
public sealed class MemoryPlayStore(PlayLedgerOptions options) : IPlayStore
{
    private readonly Dictionary<string, Play> _plays = new(StringComparer.Ordinal);
    private readonly Queue<string> _firingOrder = new();
    private readonly Lock _lock = new();

    public Task<IReadOnlyList<Play>> RecordAsync(IReadOnlyList<Play> plays)
    {
        var changed = new List<Play>();
        lock (_lock)
        {
            foreach (var play in plays)
            {
                if (_plays.TryGetValue(play.PlayId, out var known))
                {
                    if (known.Status == play.Status) continue;
                    // Keep when it first fired: a reopened or re-sent play is the same play.
                    var updated = play with { FiredAt = known.FiredAt };
                    _plays[play.PlayId] = updated;
                    changed.Add(updated);
                    continue;
                }
                _firingOrder.Enqueue(play.PlayId);
                _plays[play.PlayId] = play;
                changed.Add(play);
            }
            while (_plays.Count > options.MaxRetainedPlays && _firingOrder.TryDequeue(out var oldest)) _plays.Remove(oldest);
        }
        return Task.FromResult<IReadOnlyList<Play>>(changed);
    }

    public Task<Play[]> QueryAsync(PlayQuery query)
    {
        lock (_lock)
        {
            return Task.FromResult(_plays.Values
                .Where(query.Matches)
                .OrderByDescending(p => p.FiredAt)
                .ThenByDescending(p => p.PlayId, StringComparer.Ordinal)
                .Take(Math.Clamp(query.Limit, 1, PlayQuery.MaxLimit))
                .ToArray());
        }
    }
}
