using System.Collections.Concurrent;
using System.Threading.Channels;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Server.Feed;

/// <summary>
/// This silo's window on the play feed, fanned out to every connected live-feed client through a bounded
/// channel each. The feed goes out in position order with no hole: the ledger pushes every change it records,
/// and a push that continues the feed exactly (the next position) is published as it is; a gap (a push lost to
/// a crash, the ledger moving to another silo, pushes overtaking each other, a sequence value PostgreSQL never
/// used) is filled by reading the play store, and so is every second without a push. Nothing is skipped, nothing repeated. A client that falls
/// more than <see cref="ClientBufferSize"/> changes behind is disconnected.
/// </summary>
public sealed class LivePlayFeed(IGrainFactory grains, ILogger<LivePlayFeed> logger) : BackgroundService, IPlayObserver
{
    public const int ClientBufferSize = 10_000;
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Guid, (Func<Play, bool> Filter, Channel<PlayChange> Channel)> _clients = new();
    private readonly Channel<PlayChange[]> _pushed = Channel.CreateUnbounded<PlayChange[]>(new UnboundedChannelOptions { SingleReader = true });
    // Written and read by the feed loop only.
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

    /// <summary>The ledger's push, handed to the feed loop, which publishes it if it continues the feed.</summary>
    public Task OnPlayChanges(PlayChangeBatch batch)
    {
        _pushed.Writer.TryWrite(batch.Changes);
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
                if (_position < 0) _position = await ledger.Head();
                await CatchUpAsync(ledger);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not read the play feed; retrying");
            }
            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            poll.CancelAfter(PollEvery);
            try
            {
                await _pushed.Reader.WaitToReadAsync(poll.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // A second without a push: read the store anyway, in case one was lost.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await renewal;
        foreach (var client in _clients.Values) client.Channel.Writer.TryComplete();
    }

    /// <summary>Publishes what was pushed while it continues the feed; at a gap, or when nothing was pushed, reads the store.</summary>
    private async Task CatchUpAsync(IPlayLedgerGrain ledger)
    {
        var pushed = false;
        while (_pushed.Reader.TryRead(out var changes))
        {
            pushed = true;
            if (!PublishIfContinuous(changes)) await ReadStoreAsync(ledger);
        }
        if (!pushed) await ReadStoreAsync(ledger);
    }

    private bool PublishIfContinuous(PlayChange[] changes)
    {
        var continuing = ContinuingCount(changes, _position);
        for (var i = 0; i < continuing; i++) Publish(changes[i]);
        return continuing == changes.Length;
    }

    /// <summary>
    /// How many of <paramref name="changes"/>, in order, a feed at <paramref name="position"/> can take as they
    /// are: those it already has (skipped) and those at exactly the next position. Fewer than all: a gap.
    /// </summary>
    public static int ContinuingCount(IReadOnlyList<PlayChange> changes, long position)
    {
        for (var i = 0; i < changes.Count; i++)
        {
            if (changes[i].Position <= position) continue;
            if (changes[i].Position != position + 1) return i;
            position++;
        }
        return changes.Count;
    }

    private async Task ReadStoreAsync(IPlayLedgerGrain ledger)
    {
        PlayChange[] changes;
        do
        {
            changes = await ledger.ChangesAfter(_position, 500);
            foreach (var change in changes) Publish(change);
        }
        while (changes.Length == 500);
    }

    /// <summary>Sends a change to the clients, once: a position the feed has passed is not sent again.</summary>
    private void Publish(PlayChange change)
    {
        if (change.Position <= _position) return;
        _position = change.Position;
        if (!change.Delivered) return;
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
