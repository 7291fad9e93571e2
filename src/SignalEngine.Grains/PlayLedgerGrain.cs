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
/// Records plays in the play store and pushes every new play and status change to the subscribed silo
/// feeds. Shadow plays are stored for the query API but never pushed.
/// </summary>
public sealed class PlayLedgerGrain(IPlayStore store, PlayLedgerOptions options, ILogger<PlayLedgerGrain> logger) : Grain, IPlayLedgerGrain
{
    private readonly ObserverManager<IPlayObserver> _observers = new(options.ObserverExpiry, logger);

    public async Task Record(PlayBatch batch)
    {
        var changed = await store.RecordAsync(batch.Plays);
        if (changed.Where(p => !p.Shadow).ToArray() is { Length: > 0 } delivered)
        {
            var update = new PlayBatch(delivered);
            await _observers.Notify(observer => observer.OnPlays(update));
        }
    }

    public Task<Play[]> Query(PlayQuery query) => store.QueryAsync(query);

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
