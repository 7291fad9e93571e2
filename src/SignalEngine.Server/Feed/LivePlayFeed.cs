using System.Collections.Concurrent;
using System.Threading.Channels;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Server.Feed;

/// <summary>
/// This silo's window on the play ledger: one observer subscription (renewed periodically), fanned out
/// to every connected live-feed client through a bounded channel each. A client that falls more than
/// <see cref="ClientBufferSize"/> changes behind is disconnected rather than buffered without bound.
/// </summary>
public sealed class LivePlayFeed(IGrainFactory grains, ILogger<LivePlayFeed> logger) : BackgroundService, IPlayObserver
{
    public const int ClientBufferSize = 10_000;
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<Guid, (Func<Play, bool> Filter, Channel<PlayChange> Channel)> _clients = new();

    public bool IsSubscribed { get; private set; }

    /// <summary>Registers a client; dispose the returned handle when it disconnects.</summary>
    public FeedSubscription Connect(Func<Play, bool> filter)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<PlayChange>(new BoundedChannelOptions(ClientBufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _clients[id] = (filter, channel);
        return new FeedSubscription(channel.Reader, () => _clients.TryRemove(id, out _));
    }

    public Task OnPlayChanges(PlayChangeBatch batch)
    {
        foreach (var (id, client) in _clients)
        {
            foreach (var change in batch.Changes)
            {
                if (!client.Filter(change.Play)) continue;
                if (!client.Channel.Writer.TryWrite(change))
                {
                    client.Channel.Writer.TryComplete(new SlowConsumerException($"the client fell more than {ClientBufferSize} plays behind"));
                    _clients.TryRemove(id, out _);
                    break;
                }
            }
        }
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var self = grains.CreateObjectReference<IPlayObserver>(this);
        var ledger = grains.GetGrain<IPlayLedgerGrain>(0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ledger.Subscribe(self);
                IsSubscribed = true;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not subscribe to the play ledger; retrying");
            }
            try
            {
                await Task.Delay(IsSubscribed ? RenewEvery : TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        foreach (var client in _clients.Values) client.Channel.Writer.TryComplete();
    }
}

/// <summary>One client's view of the feed.</summary>
public sealed class FeedSubscription(ChannelReader<PlayChange> reader, Action unsubscribe) : IDisposable
{
    public ChannelReader<PlayChange> Reader { get; } = reader;

    public void Dispose() => unsubscribe();
}

public sealed class SlowConsumerException(string message) : Exception(message);
