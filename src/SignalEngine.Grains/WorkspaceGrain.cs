using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Streams;
using Orleans.Streams.Core;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Grains;

/// <summary>
/// What a workspace grain persists: the Core snapshot, the plays not yet recorded by the ledger, and
/// where it is registered in the time wheel and the peer baseline.
/// </summary>
[GenerateSerializer]
public sealed class WorkspaceGrainState
{
    /// <summary>An uncompressed snapshot, as written before snapshots were compressed; still read, never written.</summary>
    [Id(0)] public byte[]? Snapshot { get; set; }
    [Id(1)] public List<Play> Outbox { get; set; } = [];
    [Id(2)] public long? DueBucket { get; set; }
    [Id(3)] public string? PeerSegment { get; set; }
    [Id(4)] public int? PeerValue { get; set; }
    [Id(5)] public int PeerReportedDay { get; set; }

    /// <summary>The newest event-log position applied, committed with the snapshot it produced.</summary>
    [Id(6)] public long AppliedLogSeq { get; set; }

    /// <summary>The workspace's snapshot, Brotli-compressed (<see cref="Core.Workspaces.CompressedSnapshot"/>).</summary>
    [Id(7)] public byte[]? CompressedSnapshot { get; set; }
}

/// <summary>How often a workspace grain checkpoints its state and retries its outbox.</summary>
public sealed record WorkspaceGrainOptions
{
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Thin shell around <see cref="Workspace"/>: applies each stream batch in one go, sends the plays it
/// produced to the ledger through an outbox (retried until recorded), keeps its time-wheel registration
/// and segment report current, and checkpoints the snapshot.
/// </summary>
[ImplicitStreamSubscription(StreamNames.WorkspaceEvents)]
public sealed class WorkspaceGrain(
    [PersistentState("workspace", StorageNames.Workspaces)] IPersistentState<WorkspaceGrainState> state,
    RuleCatalogue catalogue,
    HealthModel healthModel,
    IEventLog eventLog,
    WorkspaceGrainOptions options,
    EngineClockOptions clockOptions,
    [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock,
    ActiveWorkspaces activeWorkspaces,
    ILogger<WorkspaceGrain> logger)
    : Grain, IWorkspaceGrain, IAsyncObserver<EventBatch>, IStreamSubscriptionObserver
{
    private Workspace _workspace = null!;
    private bool _dirty;
    private bool _counted;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var id = this.GetPrimaryKeyString();
        var snapshot = state.State.CompressedSnapshot is { } compressed ? CompressedSnapshot.Decompress(compressed) : state.State.Snapshot;
        _workspace = snapshot is not null ? Workspace.FromSnapshot(snapshot, catalogue, healthModel) : new Workspace(id, catalogue, healthModel);
        // The live workspace is the state now; the bytes it came from need not stay in memory.
        state.State.Snapshot = state.State.CompressedSnapshot = null;
        // Durable mode: re-apply what the log committed after the last checkpoint (lost if the previous
        // activation crashed). The stream will redeliver some of it too; positions already applied are skipped.
        var caughtUp = 0;
        await foreach (var batch in eventLog.ReadWorkspaceAsync(id, state.State.AppliedLogSeq).WithCancellation(cancellationToken))
        {
            state.State.Outbox.AddRange(_workspace.Apply(batch.Events, clock.GetUtcNow()));
            state.State.AppliedLogSeq = batch.LogSeq!.Value;
            caughtUp += batch.Events.Length;
            _dirty = true;
        }
        if (caughtUp > 0)
        {
            logger.LogInformation("Workspace {WorkspaceId} re-applied {Count} events from the log after its last checkpoint", id, caughtUp);
            await FlushOutboxAsync();
        }
        this.RegisterGrainTimer(CheckpointAsync, options.CheckpointInterval, options.CheckpointInterval);
        activeWorkspaces.Activated();
        _counted = true;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_counted) activeWorkspaces.Deactivated();
        _counted = false;
        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (Exception ex) when (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            // At shutdown the storage may already be gone (memory mode loses everything anyway; durable
            // mode recovers the tail from the event log on the next activation).
            logger.LogDebug(ex, "Workspace {WorkspaceId} could not checkpoint while the silo shuts down", _workspace.Id);
        }
    }

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<EventBatch>().ResumeAsync(this);

    public async Task OnNextAsync(EventBatch item, StreamSequenceToken? token = null)
    {
        // Exactly once: positions at or before the applied one were applied already (redelivery after a crash).
        var events = item.EventsAfter(state.State.AppliedLogSeq);
        if (events.Count == 0) return;
        if (item.LogSeq is { } position) state.State.AppliedLogSeq = position;
        await AfterChangeAsync(_workspace.Apply(events, clock.GetUtcNow()));
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex)
    {
        logger.LogError(ex, "Event stream of workspace {WorkspaceId} failed", _workspace.Id);
        return Task.CompletedTask;
    }

    public async Task SetProfile(WorkspaceProfile profile)
    {
        await AfterChangeAsync(_workspace.SetProfile(profile, clock.GetUtcNow()));
        // A profile is written by a person or a CRM sync and read back at once: persist it now.
        await CheckpointAsync(CancellationToken.None);
    }

    public async Task Tick(DateTimeOffset engineTime)
    {
        state.State.DueBucket = null; // the bucket that woke us is being emptied
        await AfterChangeAsync(_workspace.AdvanceEngineTime(engineTime, clock.GetUtcNow()), registrationChanged: true);
    }

    public Task<WorkspaceView?> GetView() => Task.FromResult(_workspace.Exists
        ? new WorkspaceView(_workspace.Id, _workspace.Profile, _workspace.Metrics(), _workspace.Health(),
            _workspace.OpenPlays.Where(p => !p.Shadow).OrderByDescending(p => p.FiredAt).ToArray())
        : null);

    public Task<HealthDay[]?> GetHealthHistory(int days) => Task.FromResult(_workspace.Exists
        ? _workspace.HealthHistory(days).Select(h => new HealthDay(h.Day, h.Health)).ToArray()
        : null);

    private async Task AfterChangeAsync(IReadOnlyList<Play> changes, bool registrationChanged = false)
    {
        _dirty = true;
        if (changes.Count > 0)
        {
            state.State.Outbox.AddRange(changes);
            await FlushOutboxAsync();
        }
        await ReportToPeersAsync();
        await KeepDueRegistrationAsync(registrationChanged);
    }

    /// <summary>Registers the workspace in the time-wheel bucket of its next due time (and leaves the old one).</summary>
    private async Task KeepDueRegistrationAsync(bool force)
    {
        var due = _workspace.NextDueAt();
        long? bucket = due is { } d ? clockOptions.BucketOf(d) : null;
        if (!force && bucket == state.State.DueBucket) return;
        try
        {
            if (state.State.DueBucket is { } old && old != bucket) await GrainFactory.GetGrain<IDueBucketGrain>(old).Remove(_workspace.Id);
            if (bucket is { } fresh) await GrainFactory.GetGrain<IDueBucketGrain>(fresh).Add(_workspace.Id);
            state.State.DueBucket = bucket;
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not register workspace {WorkspaceId} in the time wheel; will retry", _workspace.Id);
        }
    }

    /// <summary>Sends the peer metric to the segment when it changed (or once a day) and takes the segment's median back.</summary>
    private async Task ReportToPeersAsync()
    {
        var segment = _workspace.Profile?.Segment;
        try
        {
            if (state.State.PeerSegment is { } previous && previous != segment)
            {
                await GrainFactory.GetGrain<ISegmentPeersGrain>(previous).Leave(_workspace.Id);
                state.State.PeerSegment = null;
                state.State.PeerValue = null;
            }
            if (segment is null || _workspace.EventsApplied == 0) return;
            var value = _workspace.PeerMetric();
            var day = _workspace.WatermarkDay;
            if (state.State.PeerSegment == segment && state.State.PeerValue == value && state.State.PeerReportedDay >= day) return;
            var peers = await GrainFactory.GetGrain<ISegmentPeersGrain>(segment).Report(_workspace.Id, value);
            state.State.PeerSegment = segment;
            state.State.PeerValue = value;
            state.State.PeerReportedDay = day;
            var changes = _workspace.SetPeers(peers, clock.GetUtcNow());
            if (changes.Count > 0)
            {
                state.State.Outbox.AddRange(changes);
                await FlushOutboxAsync();
            }
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Could not report workspace {WorkspaceId} to its segment; will retry", _workspace.Id);
        }
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
        state.State.CompressedSnapshot = CompressedSnapshot.Compress(_workspace.ToSnapshot());
        _workspace.TrimExcess();
        try
        {
            await state.WriteStateAsync(cancellationToken);
            _dirty = false;
        }
        finally
        {
            // Storage has its copy (memory storage keeps one, PostgreSQL the row); the grain keeps only the live workspace.
            state.State.CompressedSnapshot = null;
        }
    }
}
