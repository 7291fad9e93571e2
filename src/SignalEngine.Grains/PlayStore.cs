using SignalEngine.Core.Plays;

namespace SignalEngine.Grains;

/// <summary>
/// Where the play ledger keeps plays: each play once, in its latest status, plus the feed — every change at
/// a growing position — and the webhook outbox for those changes. Recording is idempotent by play id and
/// status, so a workspace can re-send its outbox after any failure. Durable mode keeps all of it in
/// PostgreSQL in one transaction; memory mode keeps the most recent plays and changes.
/// </summary>
public interface IPlayStore
{
    /// <summary>Stores new plays and status changes, queues their webhook deliveries, and returns the feed changes they made.</summary>
    Task<IReadOnlyList<PlayChange>> RecordAsync(IReadOnlyList<Play> plays);

    /// <summary>Plays matching the query, newest first.</summary>
    Task<Play[]> QueryAsync(PlayQuery query);

    Task<Play?> GetAsync(string playId);

    Task<PlayChange[]> ChangesAfterAsync(long position, int max);

    Task<long?> PositionOfAsync(string eventId);

    Task<long> HeadAsync();

    /// <summary>Records a person's action in the play's lifecycle; null when the play is unknown.</summary>
    Task<Play?> ActAsync(string playId, PlayAction action);

    /// <summary>Plays pushed on their own to <paramref name="owner"/> that fired on <paramref name="day"/> (processing time): the budget used.</summary>
    Task<int> CountPushedAsync(string owner, DateOnly day);

    /// <summary>Plays waiting for digests of <paramref name="day"/> or earlier that were not sent yet.</summary>
    Task<Play[]> WaitingForDigestAsync(DateOnly day);

    /// <summary>Records and queues a digest once (by its id); null when it was sent already.</summary>
    Task<PlayChange?> RecordDigestAsync(PlayDigest digest);
}

/// <summary>
/// Memory mode: the most recent <see cref="PlayLedgerOptions.MaxRetainedPlays"/> plays and as many feed
/// changes. Shadow plays are stored but get no webhook delivery.
/// </summary>
public sealed class MemoryPlayStore(PlayLedgerOptions options, IWebhookStore webhooks, [Microsoft.Extensions.DependencyInjection.FromKeyedServices(EngineSilo.Clock)] TimeProvider clock)
    : IPlayStore
{
    private readonly Dictionary<string, Play> _plays = new(StringComparer.Ordinal);
    private readonly Queue<string> _firingOrder = new();
    // In position order; entries before _firstRetained are trimmed (compacted in bulk, so trimming stays O(1)).
    private readonly List<PlayChange> _changes = [];
    private int _firstRetained;
    private readonly Dictionary<string, long> _positionOfEvent = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _head;

    public async Task<IReadOnlyList<PlayChange>> RecordAsync(IReadOnlyList<Play> plays)
    {
        var changes = new List<PlayChange>();
        lock (_lock)
        {
            foreach (var play in plays)
            {
                var stored = play;
                if (_plays.TryGetValue(play.PlayId, out var known))
                {
                    if (known.Status == play.Status && known.HeldBy == play.HeldBy) continue;
                    // The same play: keep when it first fired, what people did with it, and its digest.
                    stored = play with { FiredAt = known.FiredAt, Lifecycle = known.Lifecycle, DigestOn = known.DigestOn };
                }
                else
                {
                    _firingOrder.Enqueue(play.PlayId);
                }
                _plays[play.PlayId] = stored;
                var change = new PlayChange(++_head, stored);
                Append(change);
                changes.Add(change);
            }
            while (_plays.Count > options.MaxRetainedPlays && _firingOrder.TryDequeue(out var oldest)) _plays.Remove(oldest);
            TrimChanges();
        }
        await webhooks.EnqueueAsync(changes.Where(c => c.Delivered).ToList(), clock.GetUtcNow());
        return changes;
    }

    private readonly HashSet<string> _sentDigests = new(StringComparer.Ordinal);

    public Task<int> CountPushedAsync(string owner, DateOnly day)
    {
        lock (_lock)
        {
            return Task.FromResult(_plays.Values.Count(p => p.Owner.Name == owner && DateOnly.FromDateTime(p.FiredAt.UtcDateTime) == day && !p.Shadow && p.DigestOn is null));
        }
    }

    public Task<Play[]> WaitingForDigestAsync(DateOnly day)
    {
        lock (_lock)
        {
            return Task.FromResult(_plays.Values
                .Where(p => p.DigestOn is { } on && on <= day && !_sentDigests.Contains(new PlayDigest(p.Owner.Name!, on, []).Id))
                .ToArray());
        }
    }

    public async Task<PlayChange?> RecordDigestAsync(PlayDigest digest)
    {
        PlayChange change;
        lock (_lock)
        {
            if (!_sentDigests.Add(digest.Id)) return null;
            var lead = digest.Plays.OrderByDescending(p => p.Severity).ThenBy(p => p.FiredAt).First();
            change = new PlayChange(++_head, lead, digest);
            Append(change);
            TrimChanges();
        }
        await webhooks.EnqueueAsync([change], clock.GetUtcNow());
        return change;
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

    public Task<Play?> GetAsync(string playId)
    {
        lock (_lock) return Task.FromResult(_plays.GetValueOrDefault(playId));
    }

    public Task<PlayChange[]> ChangesAfterAsync(long position, int max)
    {
        lock (_lock)
        {
            // Every feed read asks for the head of up to MaxRetainedPlays changes: find it by position, not by a walk.
            var (low, high) = (_firstRetained, _changes.Count);
            while (low < high)
            {
                var middle = low + (high - low) / 2;
                if (_changes[middle].Position <= position) low = middle + 1;
                else high = middle;
            }
            var count = Math.Clamp(_changes.Count - low, 0, Math.Max(max, 0));
            return Task.FromResult(_changes.GetRange(low, count).ToArray());
        }
    }

    private void Append(PlayChange change)
    {
        _changes.Add(change);
        _positionOfEvent[change.EventId] = change.Position;
    }

    private void TrimChanges()
    {
        while (_changes.Count - _firstRetained > options.MaxRetainedPlays)
        {
            var first = _changes[_firstRetained];
            _changes[_firstRetained++] = null!;
            if (_positionOfEvent.GetValueOrDefault(first.EventId) == first.Position) _positionOfEvent.Remove(first.EventId);
        }
        if (_firstRetained > 1024 && _firstRetained > _changes.Count / 2)
        {
            _changes.RemoveRange(0, _firstRetained);
            _firstRetained = 0;
        }
    }

    public Task<long?> PositionOfAsync(string eventId)
    {
        lock (_lock) return Task.FromResult<long?>(_positionOfEvent.TryGetValue(eventId, out var position) ? position : null);
    }

    public Task<long> HeadAsync()
    {
        lock (_lock) return Task.FromResult(_head);
    }

    public Task<Play?> ActAsync(string playId, PlayAction action)
    {
        lock (_lock)
        {
            if (!_plays.TryGetValue(playId, out var play)) return Task.FromResult<Play?>(null);
            return Task.FromResult<Play?>(_plays[playId] = play with { Lifecycle = play.Lifecycle.With(action) });
        }
    }
}
