using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains;

/// <summary>What a workspace grain persists: the Core snapshot and the plays not yet recorded by the ledger.</summary>
[GenerateSerializer]
public sealed class WorkspaceGrainState
{
    [Id(0)] public byte[]? Snapshot { get; set; }
    [Id(1)] public List<Play> Outbox { get; set; } = [];
}

/// <summary>How often a workspace grain checkpoints its state and retries its outbox.</summary>
public sealed record WorkspaceGrainOptions
{
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Thin shell around <see cref="Workspace"/>: applies each stream batch in one go, sends the plays it
/// produced to the ledger through an outbox (retried until recorded), and checkpoints the snapshot.
/// </summary>
[ImplicitStreamSubscription(StreamNames.WorkspaceEvents)]
public sealed class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Workspaces)] IPersistentState<WorkspaceGrainState> state,
    RuleCatalogue catalogue,
    HealthModel healthModel,
    WorkspaceGrainOptions options,
    TimeProvider clock,
    ILogger<WorkspaceGrain> logger)
    : Grain, IWorkspaceGrain, IAsyncObserver<EventBatch>, IStreamSubscriptionObserver
{
    private Workspace _workspace = null!;
    private bool _dirty;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        _workspace = state.State.Snapshot is { } snapshot
            ? Workspace.FromSnapshot(snapshot, catalogue, healthModel)
            : new Workspace(id, catalogue, healthModel);
        this.RegisterGrainTimer(CheckpointAsync, options.CheckpointInterval, options.CheckpointInterval);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        await CheckpointAsync(cancellationToken);

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<EventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(EventBatch item, StreamSequenceToken? token = null)
    {
        var changes = _workspace.Apply(item.Events, clock.GetUtcNow());
        _dirty = true;
        await PublishAsync(changes);
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogError(ex, "Event stream of workspace {WorkspaceId} failed", _workspace.Id);
        return Task.CompletedTask;
    }

    public async Task SetProfile(WorkspaceProfile profile)
    {
        var changes = _workspace.SetProfile(profile, clock.GetUtcNow());
        _dirty = true;
        await PublishAsync(changes);
        // A profile is written by a person or a CRM sync and read back at once: persist it now.
        await CheckpointAsync(CancellationToken.None);
    }

    public Task<WorkspaceView?> GetView() => Task.FromResult(_workspace.Exists
        ? new WorkspaceView(_workspace.Id, _workspace.Profile, _workspace.Metrics(), _workspace.Health(),
            _workspace.OpenPlays.OrderByDescending(p => p.FiredAt).ToArray())
        : null);

    private async Task PublishAsync(IReadOnlyList<Play> changes)
    {
        if (changes.Count == 0) return;
        state.State.Outbox.AddRange(changes);
        await FlushOutboxAsync();
    }

    private async Task FlushOutboxAsync()
    {
        if (state.State.Outbox.Count == 0) return;
        try
        {
            await GrainFactory.GetGrain<IPlayLedgerGrain>(0).Record(new PlayBatch([.. state.State.Outbox]));
            state.State.Outbox.Clear();
            _dirty = true;
        }
        catch (Exception ex)
        {
            // Kept in the outbox; the next checkpoint retries. The ledger ignores plays it already has.
            logger.LogWarning(ex, "Could not record {Count} plays of workspace {WorkspaceId}; will retry", state.State.Outbox.Count, _workspace.Id);
        }
    }

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        await FlushOutboxAsync();
        if (!_dirty) return;
        state.State.Snapshot = _workspace.ToSnapshot();
        await state.WriteStateAsync(cancellationToken);
        _dirty = false;
    }
}
