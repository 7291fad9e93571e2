using System.Collections.Concurrent;
using System.Threading.Channels;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Server.Feed;

/// <summary>
/// This silo's window on the play feed, fanned out to every connected live-feed client through a bounded
/// channel each. It reads the feed from the play store in position order — woken at once by the ledger's
/// push, and polling every second as well — so a push lost to a crash (the ledger moving to another silo,
/// a workspace re-deriving a play after its silo died) never leaves a hole: nothing is skipped, nothing
/// repeated. A client that falls more than <see cref="ClientBufferSize"/> changes behind is disconnected.
/// </summary>
public sealed class LivePlayFeed(IGrainFactory grains, ILogger<LivePlayFeed> logger) : BackgroundService, IPlayObserver
{
    public const int ClientBufferSize = 10_000;
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, (Func<Play, bool> Filter, Channel<PlayChange> Channel)> _clients = new();
    private readonly SemaphoreSlim _wake = new(0);
    private long _position = -1;

    public bool IsSubscribed { get; private set; }

    /// <summary>Registers a client; dispose the returned handle when it disconnects.</summary>
    public FeedSubscription Connect(Func<Play, bool> filter)
    {
        var id = Guid.NewGuid();
        var channel = Channel.CreateBounded<PlayChange>(new BoundedChannelOptions(ClientBufferSize) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _clients[id] = (filter, channel);
        return new FeedSubscription(channel.Reader, () => _clients.TryRemove(id, out _));
    }

    /// <summary>The ledger's push: only a wake-up call; the changes themselves are read in order from the store.</summary>
    public Task OnPlayChanges(PlayChangeBatch batch)
    {
        if (batch.Changes.Any(c => c.Position > Interlocked.Read(ref _position))) _wake.Release();
        return Task.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ledger = grains.GetGrain<IPlayLedgerGrain>(0);
        var renewal = Task.Run(() => RenewSubscriptionAsync(ledger, stoppingToken), CancellationToken.None);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (_position < 0) Interlocked.Exchange(ref _position, await ledger.Head());
                PlayChange[] changes;
                do
                {
                    changes = await ledger.ChangesAfter(Interlocked.Read(ref _position), 500);
                    Publish(changes);
                }
                while (changes.Length == 500);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not read the play feed; retrying");
            }
            try
            {
                await _wake.WaitAsync(PollEvery, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await renewal;
        foreach (var client in _clients.Values) client.Channel.Writer.TryComplete();
    }

    private void Publish(PlayChange[] changes)
    {
        foreach (var change in changes)
        {
            Interlocked.Exchange(ref _position, Math.Max(Interlocked.Read(ref _position), change.Position));
            if (!change.Delivered) continue;
            foreach (var (id, client) in _clients)
            {
                if (!client.Filter(change.Play)) continue;
                if (!client.Channel.Writer.TryWrite(change))
                {
                    client.Channel.Writer.TryComplete(new SlowConsumerException($"the client fell more than {ClientBufferSize} plays behind"));
                    _clients.TryRemove(id, out _);
                }
            }
        }
    }

    private async Task RenewSubscriptionAsync(IPlayLedgerGrain ledger, CancellationToken stoppingToken)
    {
        var self = grains.CreateObjectReference<IPlayObserver>(this);
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
    }
}

/// <summary>One client's view of the feed.</summary>
public sealed class FeedSubscription(ChannelReader<PlayChange> reader, Action unsubscribe) : IDisposable
{
    public ChannelReader<PlayChange> Reader { get; } = reader;

    public void Dispose() => unsubscribe();
}

public sealed class SlowConsumerException(string message) : Exception(message);
