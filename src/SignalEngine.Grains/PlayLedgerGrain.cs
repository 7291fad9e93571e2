using Microsoft.Extensions.Logging;
using Orleans.Utilities;
using SignalEngine.Core.Plays;

namespace SignalEngine.Grains;

/// <summary>How many plays the memory ledger keeps, and how long observers stay subscribed without renewing.</summary>
public sealed record PlayLedgerOptions
{
    public int MaxRetainedPlays { get; init; } = 100_000;

    /// <summary>An observer that has not renewed its subscription within this time is dropped.</summary>
    public TimeSpan ObserverExpiry { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Records plays in the play store (which also queues their webhook deliveries) and pushes every change to
/// the subscribed silo feeds, which pass on only the delivered ones (<see cref="PlayChange.Delivered"/>):
/// shadow plays, held plays and plays waiting for a digest are stored for the query API, never delivered.
/// </summary>
public sealed class PlayLedgerGrain(
    IPlayStore store,
    PlayLedgerOptions options,
    SignalEngine.Core.Rules.RuleCatalogue catalogue,
    [Microsoft.Extensions.DependencyInjection.FromKeyedServices(EngineSilo.Clock)] TimeProvider clock,
    ILogger<PlayLedgerGrain> logger) : Grain, IPlayLedgerGrain
{
    private readonly ObserverManager<IPlayObserver> _observers = new(options.ObserverExpiry, logger);
    private DateOnly _digestsSentThrough = DateOnly.MinValue;

    public async Task Record(PlayBatch batch)
    {
        var plays = await ApplyFatigueAsync(batch.Plays);
        await NotifyAsync(await store.RecordAsync(plays));
    }

    /// <summary>
    /// Fatigue control: a new play for a person whose budget for today is spent waits for the digest
    /// (today's, or tomorrow's once today's has gone out), unless its severity always goes through.
    /// </summary>
    private async Task<IReadOnlyList<Play>> ApplyFatigueAsync(IReadOnlyList<Play> plays)
    {
        var policy = catalogue.Fatigue;
        if (policy.MaxPlaysPerOwnerPerDay <= 0) return plays;
        var now = clock.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var result = new List<Play>(plays.Count);
        foreach (var play in plays)
        {
            if (play.Status != PlayStatus.Open || !play.Deliverable || play.Owner.Name is not { } owner || await store.GetAsync(play.PlayId) is not null)
            {
                result.Add(play);
                continue;
            }
            var pushed = await store.CountPushedAsync(owner, today);
            var digestDay = now.Hour >= policy.DigestHourUtc ? today.AddDays(1) : today;
            result.Add(policy.SendsToDigest(play, pushed) ? play with { DigestOn = digestDay } : play);
        }
        return result;
    }

    public async Task<int> SendDueDigests(DateTimeOffset now)
    {
        var policy = catalogue.Fatigue;
        if (policy.MaxPlaysPerOwnerPerDay <= 0) return 0;
        // The digest of a day goes out at the digest hour; one missed while the engine was down goes out now.
        var due = DateOnly.FromDateTime(now.UtcDateTime);
        if (now.Hour < policy.DigestHourUtc) due = due.AddDays(-1);
        if (due <= _digestsSentThrough) return 0;
        var sent = new List<PlayChange>();
        foreach (var group in (await store.WaitingForDigestAsync(due)).GroupBy(p => (Owner: p.Owner.Name!, Day: p.DigestOn!.Value)))
        {
            var digest = new PlayDigest(group.Key.Owner, group.Key.Day,
                [.. group.OrderByDescending(p => p.Severity).ThenBy(p => p.FiredAt).ThenBy(p => p.PlayId, StringComparer.Ordinal)]);
            if (await store.RecordDigestAsync(digest) is { } change) sent.Add(change);
        }
        _digestsSentThrough = due;
        await NotifyAsync(sent);
        return sent.Count;
    }

    // Every change, delivered or not, so that a feed sees each position it follows and need not read the store back
    // (a position that never appears — a PostgreSQL sequence value lost to a failed statement — costs it one read).
    private async Task NotifyAsync(IReadOnlyList<PlayChange> changes)
    {
        if (changes.Count == 0) return;
        var update = new PlayChangeBatch([.. changes]);
        await _observers.Notify(observer => observer.OnPlayChanges(update));
    }

    public Task<Play[]> Query(PlayQuery query) => store.QueryAsync(query);

    public Task<Play?> Get(string playId) => store.GetAsync(playId);

    public Task<PlayChange[]> ChangesAfter(long position, int max) => store.ChangesAfterAsync(position, max);

    public Task<long?> PositionOf(string eventId) => store.PositionOfAsync(eventId);

    public Task<long> Head() => store.HeadAsync();

    public Task<Play?> Act(string playId, PlayAction action) => store.ActAsync(playId, action);

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
