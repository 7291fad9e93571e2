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
/// the subscribed silo feeds. Shadow plays are stored for the query API but never pushed or delivered.
/// </summary>
public sealed class PlayLedgerGrain(IPlayStore store, PlayLedgerOptions options, ILogger<PlayLedgerGrain> logger) : Grain, IPlayLedgerGrain
{
    private readonly ObserverManager<IPlayObserver> _observers = new(options.ObserverExpiry, logger);

    public async Task Record(PlayBatch batch)
    {
        var changes = await store.RecordAsync(batch.Plays);
        if (changes.Where(c => c.Play.Deliverable).ToArray() is { Length: > 0 } delivered)
        {
            var update = new PlayChangeBatch(delivered);
            await _observers.Notify(observer => observer.OnPlayChanges(update));
        }
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
