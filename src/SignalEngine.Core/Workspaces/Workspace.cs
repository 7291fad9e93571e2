using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using SignalEngine.Core.Activity;
using SignalEngine.Core.Events;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Workspaces;

/// <summary>Current usage figures of a workspace, for the query API.</summary>
public sealed record WorkspaceMetrics(
    long EventsApplied,
    DateTimeOffset? LastEventAt,
    int ActiveUsers7d,
    int ActiveUsers28d,
    long CoreEvents7d,
    long CoreEvents28d,
    int DistinctCoreFeatures28d,
    int SeatsUsed,
    int? SeatsPurchased,
    int KnownUsers,
    IReadOnlyDictionary<string, int> ModuleActiveUsers28d,
    DateTimeOffset? ActivatedAt);

/// <summary>
/// One customer workspace: per-user activity by UTC event day, feature and module usage, signal counts,
/// the state machine of every rule, and the plays it has published. Pure: time comes in as arguments.
/// <para>
/// Rules are evaluated in event time, one UTC day at a time: complete days are evaluated once and
/// their rule states committed; the current day is evaluated provisionally on every batch, so a play
/// fires the moment its threshold crosses. Late data for a committed day rewinds the rule states to an
/// anchor and re-runs the days since, so the plays are a function of the history, not of its arrival
/// order; plays that the corrected history no longer supports are retracted.
/// </para>
/// </summary>
public sealed partial class Workspace : IWorkspaceBaselines
{
    private const int MaxSurveyAnswers = 16;

    private readonly RuleCatalogue _catalogue;
    private readonly HealthModel _healthModel;
    private Dictionary<string, (int StartDay, string PlayId)>? _playIds;

    // Scratch of one evaluation, per thread rather than per workspace: a million resident workspaces should not carry them.
    [ThreadStatic] private static HashSet<string>? t_observedKeys;
    [ThreadStatic] private static List<string>? t_vanishedKeys;
    [ThreadStatic] private static Dictionary<string, RuleState>? t_provisionalStates;
    [ThreadStatic] private static HashSet<string>? t_stillActive;
    [ThreadStatic] private static List<Observation>? t_observations;
    [ThreadStatic] private static List<KeyValuePair<string, Play>>? t_knownPlays;
    private readonly Dictionary<string, ActivityBitmap> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, ActivityBitmap>> _moduleUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivityBitmap> _moduleDays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivityBitmap> _coreFeatures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DayCounter> _signals = new(StringComparer.Ordinal);
    private readonly DayCounter _coreEvents = new();
    private ActivityBitmap _dataDays;
    private ActivityBitmap _userDays;
    private readonly List<(DateTimeOffset At, double Score)> _surveys = [];

    // Evaluation: rule states as of the end of the anchor day and of the last committed day, and every published play.
    private bool _evaluationStarted;
    private int _anchorDay;
    private Dictionary<string, RuleState> _anchorStates = new(StringComparer.Ordinal);
    private int _evaluatedThrough;
    private Dictionary<string, RuleState> _committed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Play> _plays = new(StringComparer.Ordinal);
    private int? _dirtyFrom;

    // Profiles with the day they took effect: each day is evaluated with the profile then in force, so a
    // change (more seats, new pilots) counts from when it happened and never rewrites the past.
    private readonly List<(int FromDay, WorkspaceProfile Profile)> _profiles = [];
    private WorkspaceProfile? _evaluationProfile;
    private WorkspaceProfile? _cohortsProfile;
    // Distinct-user counts, kept until a user (or a module's user) is first seen on a day: the rules read them on
    // every delivery, and most events come from users already counted that day.
    private int _activityVersion;
    private (int Version, DayWindow Window, int Count) _activeUsersMemo = (-1, default, 0);
    private IReadOnlyList<PilotCohort>? _cohorts;
    // One count per cohort of _cohorts (the adoption rule asks for each piloted module in turn).
    private (int Version, DayWindow Window, int Count)[] _cohortMemos = [];

    /// <summary>
    /// The anchor trails the newest evaluated day by at most this many days, so that re-running from it
    /// never reads a day the 256-day rings have dropped (the rules look back <see cref="RuleCatalogue.MaxLookbackDays"/>).
    /// </summary>
    private int MaxAnchorLag => ActivityBitmap.Span - _catalogue.MaxLookbackDays - 1;

    private int AnchorLagAfterAdvance => MaxAnchorLag - 20;

    public Workspace(string id, RuleCatalogue catalogue, HealthModel healthModel)
    {
        Id = id;
        _catalogue = catalogue;
        _healthModel = healthModel;
    }

    public string Id { get; }

    /// <summary>The current CRM profile.</summary>
    public WorkspaceProfile? Profile => _profiles.Count > 0 ? _profiles[^1].Profile : null;

    /// <summary>The profile rules read: the one in force on the day being evaluated, else the current one.</summary>
    private WorkspaceProfile? RuleProfile => _evaluationProfile ?? Profile;

    private WorkspaceProfile? ProfileOn(int day)
    {
        if (_profiles.Count == 0) return null;
        for (var i = _profiles.Count - 1; i >= 0; i--)
            if (_profiles[i].FromDay <= day) return _profiles[i].Profile;
        return _profiles[0].Profile; // before the first profile arrived, the first one stands for it
    }

    public int? FirstUserActivityDay { get; private set; }
    public long EventsApplied { get; private set; }

    /// <summary>The newest event time seen from this workspace.</summary>
    public DateTimeOffset? Watermark { get; private set; }

    /// <summary>The engine's event-time clock as last told (may be ahead of a silent workspace's watermark).</summary>
    public DateTimeOffset? EngineTime { get; private set; }
    public DateTimeOffset? ActivatedAt { get; private set; }
    public bool HasSupportData { get; private set; }
    public bool HasCrmData { get; private set; }
    public bool EverActive { get; private set; }
    public PeerBaseline? Peers { get; private set; }

    /// <summary>Known at all: it has a profile or has applied an event.</summary>
    public bool Exists => Profile is not null || EventsApplied > 0;

    public IEnumerable<Play> OpenPlays => _plays.Values.Where(p => p.Status == PlayStatus.Open);

    /// <summary>Every play this workspace has published within its evaluation horizon, in its latest status.</summary>
    public IEnumerable<Play> Plays => _plays.Values;

    /// <summary>
    /// Folds already de-duplicated events into the baselines, then evaluates the rules once for the batch.
    /// Returns the plays that fired, resolved, reopened or were retracted.
    /// </summary>
    public IReadOnlyList<Play> Apply(IReadOnlyList<UsageEvent> events, DateTimeOffset processingTime)
    {
        foreach (var e in events) Fold(e);
        return Evaluate(processingTime);
    }

    /// <summary>
    /// Sets the CRM profile from the current event day on (the first profile stands for all history) and
    /// re-evaluates from that day.
    /// </summary>
    public IReadOnlyList<Play> SetProfile(WorkspaceProfile profile, DateTimeOffset processingTime)
    {
        var from = _profiles.Count == 0 || EvaluationTime is not { } now ? int.MinValue : EventDay.Of(now);
        _profiles.RemoveAll(p => p.FromDay >= from);
        _profiles.Add((from, profile));
        MarkDirty(from);
        return Evaluate(processingTime);
    }

    /// <summary>The engine's clock moved on (time-based rules: silence, deadlines); evaluates if that matters.</summary>
    public IReadOnlyList<Play> AdvanceEngineTime(DateTimeOffset engineTime, DateTimeOffset processingTime)
    {
        if (EngineTime is { } known && engineTime <= known) return [];
        EngineTime = engineTime;
        return Evaluate(processingTime);
    }

    /// <summary>The segment's latest peer baseline for the peer comparison.</summary>
    public IReadOnlyList<Play> SetPeers(PeerBaseline? peers, DateTimeOffset processingTime)
    {
        if (Peers == peers) return [];
        Peers = peers;
        return Evaluate(processingTime);
    }

    private void MarkDirty(int day) => _dirtyFrom = _dirtyFrom is { } d ? Math.Min(d, day) : day;

    private void Fold(UsageEvent e)
    {
        var day = e.Day;
        var conventions = _catalogue.Conventions;
        EventsApplied++;
        MarkDirty(day);
        if (Watermark is null || e.Timestamp > Watermark) Watermark = e.Timestamp;
        _dataDays.Set(day);

        if (e.UserId is { } user)
        {
            if (SetDay(_users, user, day, int.MaxValue, out var newUserDay) && newUserDay) _activityVersion++;
            _userDays.Set(day);
            EverActive = true;
            if (FirstUserActivityDay is null || day < FirstUserActivityDay) FirstUserActivityDay = day;
        }

        var name = e.Name;
        if (name.StartsWith(conventions.CoreFeaturePrefix, StringComparison.Ordinal))
        {
            _coreEvents.Add(day);
            SetDay(_coreFeatures, name, day, conventions.MaxTrackedCoreFeatures, out _);
        }
        else if (conventions.ModuleOf(name) is { } module && SetDay(_moduleDays, module, day, conventions.MaxTrackedModules, out _) && e.UserId is { } moduleUser)
        {
            if (!_moduleUsers.TryGetValue(module, out var users)) _moduleUsers[module] = users = new(StringComparer.Ordinal);
            if (SetDay(users, moduleUser, day, int.MaxValue, out var newModuleDay) && newModuleDay) _activityVersion++;
        }

        if (_catalogue.SignalEvents.Contains(name))
        {
            if (!_signals.TryGetValue(name, out var counter)) _signals[name] = counter = new DayCounter();
            counter.Add(day);
        }
        if (name.StartsWith(conventions.SupportPrefix, StringComparison.Ordinal)) HasSupportData = true;
        if (name.StartsWith(conventions.CrmPrefix, StringComparison.Ordinal)) HasCrmData = true;
        if (name == conventions.ActivationEvent && (ActivatedAt is null || e.Timestamp < ActivatedAt)) ActivatedAt = e.Timestamp;
        if (name == conventions.SurveyEvent
            && e.Properties?.TryGetValue(conventions.SurveyScoreProperty, out var score) == true
            && score.Kind == PropertyKind.Number)
        {
            RecordSurvey(e.Timestamp, score.Number);
        }
    }

    private void RecordSurvey(DateTimeOffset at, double score)
    {
        // Ordered by time (ties by score) so the kept answers do not depend on arrival order.
        var index = _surveys.FindIndex(s => s.At > at || (s.At == at && s.Score > score));
        _surveys.Insert(index < 0 ? _surveys.Count : index, (at, score));
        if (_surveys.Count > MaxSurveyAnswers) _surveys.RemoveAt(0);
    }

    /// <summary>
    /// Gives back the spare room the activity maps grew into (a dictionary doubles as it grows: 20 users sit
    /// in room for 37). The host calls it when it checkpoints; a resident workspace then costs what it holds.
    /// </summary>
    public void TrimExcess()
    {
        _users.TrimExcess();
        _coreFeatures.TrimExcess();
        _moduleDays.TrimExcess();
        foreach (var users in _moduleUsers.Values) users.TrimExcess();
        _moduleUsers.TrimExcess();
        _signals.TrimExcess();
    }

    /// <summary>
    /// Marks a key active on a day; a new key is only tracked while fewer than <paramref name="cap"/> are.
    /// <paramref name="newDay"/>: the key was not yet active that day.
    /// </summary>
    private static bool SetDay(Dictionary<string, ActivityBitmap> map, string key, int day, int cap, out bool newDay)
    {
        ref var bitmap = ref CollectionsMarshal.GetValueRefOrNullRef(map, key);
        if (Unsafe.IsNullRef(ref bitmap))
        {
            newDay = map.Count < cap;
            if (!newDay) return false;
            var fresh = new ActivityBitmap();
            fresh.Set(day);
            map[key] = fresh;
            return true;
        }
        newDay = bitmap.Set(day);
        return true;
    }

    /// <summary>The instant up to which rules are evaluated: the newest of the workspace's and the engine's event time.</summary>
    private DateTimeOffset? EvaluationTime => (Watermark, EngineTime) switch
    {
        ({ } w, { } e) => w > e ? w : e,
        ({ } w, null) => w,
        (null, { } e) => e,
        _ => null,
    };

    /// <summary>Evaluates every complete day not yet committed, then the current day provisionally, and publishes the difference.</summary>
    public IReadOnlyList<Play> Evaluate(DateTimeOffset processingTime)
    {
        if (EvaluationTime is not { } now) return [];
        var endDay = EventDay.Of(now);
        if (!_evaluationStarted)
        {
            _evaluationStarted = true;
            _anchorDay = Math.Min(_dataDays.FirstActiveDay ?? endDay, endDay) - 1;
            _evaluatedThrough = _anchorDay;
            // Nothing is committed yet, so nothing can be "late": a profile set before the first event or
            // clock tick must not drag the first evaluation back to days the workspace was never seen on.
            _dirtyFrom = null;
        }

        if (_dirtyFrom is { } dirty && dirty <= _evaluatedThrough)
        {
            // Late data (or a profile change) touches committed days: restart from the anchor.
            if (dirty <= _anchorDay && _anchorStates.Count == 0) _anchorDay = Math.Max(dirty, endDay - MaxAnchorLag) - 1;
            PruneProfiles();
            _committed = new Dictionary<string, RuleState>(_anchorStates, StringComparer.Ordinal);
            _evaluatedThrough = _anchorDay;
        }
        _dirtyFrom = null;
        AdvanceAnchorIfFar(endDay);

        var from = _evaluatedThrough + 1;
        var run = new EvaluationRun(from);
        for (var day = from; day < endDay; day++)
        {
            var point = new EvaluationPoint(day, EventDay.Start(day + 1), IsComplete: true, HasData: _dataDays.IsSet(day));
            EvaluateDay(_committed, point, run);
        }
        _evaluatedThrough = Math.Max(_evaluatedThrough, endDay - 1);

        // Today is evaluated on a scratch copy of the committed states (today is not over; nothing of it is kept).
        var provisional = t_provisionalStates ??= new Dictionary<string, RuleState>(StringComparer.Ordinal);
        provisional.Clear();
        foreach (var (key, state) in _committed) provisional[key] = state;
        EvaluateDay(provisional, new EvaluationPoint(endDay, now, IsComplete: false, HasData: _dataDays.IsSet(endDay)), run);
        return Publish(run, provisional, processingTime);
    }

    /// <summary>Keeps the anchor inside the kept history by re-running the days it skips (no publication).</summary>
    private void AdvanceAnchorIfFar(int endDay)
    {
        if (endDay - _anchorDay <= MaxAnchorLag) return;
        var newAnchor = endDay - AnchorLagAfterAdvance;
        var states = new Dictionary<string, RuleState>(_anchorStates, StringComparer.Ordinal);
        var silent = new EvaluationRun(_anchorDay + 1);
        for (var day = Math.Max(_anchorDay + 1, newAnchor - ActivityBitmap.Span + 1); day <= newAnchor; day++)
            EvaluateDay(states, new EvaluationPoint(day, EventDay.Start(day + 1), true, _dataDays.IsSet(day)), silent);
        _anchorStates = states;
        _anchorDay = newAnchor;
        if (_evaluatedThrough < newAnchor)
        {
            _committed = new Dictionary<string, RuleState>(states, StringComparer.Ordinal);
            _evaluatedThrough = newAnchor;
        }
        PruneProfiles();
        // Plays that ended before the anchor can no longer change: forget them.
        foreach (var stale in _plays.Where(p => p.Value.Status != PlayStatus.Open && DayOf(p.Value.EpisodeStart) <= newAnchor).Select(p => p.Key).ToList())
            _plays.Remove(stale);
    }

    /// <summary>Profiles that no day after the anchor can be evaluated with any more are dropped.</summary>
    private void PruneProfiles()
    {
        while (_profiles.Count > 1 && _profiles[1].FromDay <= _anchorDay + 1) _profiles.RemoveAt(0);
    }

    /// <summary>What one run of the state machines produced: episodes that fired (by play id) and those that resolved.</summary>
    private sealed class EvaluationRun(int fromDay)
    {
        public int FromDay { get; } = fromDay;
        public Dictionary<string, Play> Fired { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, EvaluationPoint> Resolved { get; } = new(StringComparer.Ordinal);
    }

    private void EvaluateDay(Dictionary<string, RuleState> states, EvaluationPoint point, EvaluationRun run)
    {
        _evaluationProfile = ProfileOn(point.Day);
        try
        {
            EvaluateRules(states, point, run);
        }
        finally
        {
            _evaluationProfile = null;
        }
    }

    private void EvaluateRules(Dictionary<string, RuleState> states, EvaluationPoint point, EvaluationRun run)
    {
        HealthScore? health = null;
        // Scratch collections are reused: this runs once per delivered batch, and its garbage was a visible share of the cost.
        var observed = t_observedKeys ??= new HashSet<string>(StringComparer.Ordinal);
        var vanished = t_vanishedKeys ??= [];
        var observations = t_observations ??= [];
        foreach (var rule in _catalogue.Rules)
        {
            if (!point.HasData && !rule.Condition.IsTimeBased) continue;
            observed.Clear();
            if (rule.AppliesTo(RuleProfile?.Tier, RuleProfile?.Segment))
            {
                observations.Clear();
                rule.Condition.Observe(this, point, observations);
                foreach (var observation in observations)
                {
                    var key = StateKey(rule.Id, observation.Subject);
                    observed.Add(key);
                    Step(states, rule, key, observation.Subject, observation, point, run, ref health);
                }
            }
            // Subjects that vanished (module no longer piloted, rule no longer applies) end their episode.
            vanished.Clear();
            foreach (var (key, state) in states)
                if (state.Phase != RulePhase.Normal && BelongsTo(key, rule.Id) && !observed.Contains(key)) vanished.Add(key);
            foreach (var key in vanished)
                Step(states, rule, key, SubjectOf(key, rule.Id), null, point, run, ref health);
        }
    }

    private void Step(Dictionary<string, RuleState> states, RuleDefinition rule, string key, string? subject, Observation? observation,
        EvaluationPoint point, EvaluationRun run, ref HealthScore? health)
    {
        var before = states.GetValueOrDefault(key) ?? RuleState.Initial;
        var (after, transition) = RuleStateMachine.Step(before, observation, rule, point);
        if (after != before) states[key] = after;
        switch (transition)
        {
            case RuleTransition.Fire:
                var playId = PlayIdFor(key, after.EpisodeStartDay);
                // Re-running an episode that is already published (every provisional evaluation of today does)
                // needs no new play: publishing keeps the known one. Health is only computed for a new play.
                if (_plays.TryGetValue(playId, out var known))
                {
                    run.Fired[playId] = known;
                }
                else
                {
                    health ??= _healthModel.Compute(this, point.Day);
                    run.Fired[playId] = NewPlay(playId, rule, subject, after.EpisodeStartDay, rule.Condition.Describe(this, point, subject), point.At, health);
                }
                run.Resolved.Remove(playId);
                break;
            case RuleTransition.Resolve:
                run.Resolved[PlayIdFor(key, before.EpisodeStartDay)] = point;
                break;
        }
    }

    /// <summary>Makes the published plays match what the run says, and returns every play whose status changed.</summary>
    private List<Play> Publish(EvaluationRun run, Dictionary<string, RuleState> finalStates, DateTimeOffset processingTime)
    {
        var changes = new List<Play>();
        // Most workspaces have no play at all: nothing to reconcile.
        if (run.Fired.Count == 0 && _plays.Count == 0) return changes;
        var stillActive = t_stillActive ??= new HashSet<string>(StringComparer.Ordinal);
        stillActive.Clear();
        foreach (var (key, state) in finalStates)
        {
            if (!state.IsActive) continue;
            stillActive.Add(PlayIdFor(key, state.EpisodeStartDay));
        }

        foreach (var (playId, fired) in run.Fired)
        {
            var status = stillActive.Contains(playId) ? PlayStatus.Open : PlayStatus.Resolved;
            if (_plays.TryGetValue(playId, out var known))
            {
                if (known.Status != status) changes.Add(_plays[playId] = WithStatus(known, status, run, playId, processingTime));
            }
            else
            {
                changes.Add(_plays[playId] = WithStatus(fired with { FiredAt = processingTime }, status, run, playId, processingTime));
            }
        }

        // A copy, since statuses are rewritten while walking (reused: this runs on every delivery of a workspace with plays).
        var published = t_knownPlays ??= [];
        published.Clear();
        published.AddRange(_plays);
        foreach (var (playId, play) in published)
        {
            if (run.Fired.ContainsKey(playId)) continue;
            if (DayOf(play.EpisodeStart) >= run.FromDay)
            {
                // The corrected history has no such episode: late data showed it never happened.
                if (play.Status != PlayStatus.Retracted)
                    changes.Add(_plays[playId] = play with { Status = PlayStatus.Retracted, ResolvedAt = processingTime, ResolvedEventTime = null });
                continue;
            }
            // Episodes that started before this run: resolved by it, or (again) open.
            var status = stillActive.Contains(playId) ? PlayStatus.Open
                : run.Resolved.ContainsKey(playId) ? PlayStatus.Resolved
                : play.Status;
            if (status != play.Status) changes.Add(_plays[playId] = WithStatus(play, status, run, playId, processingTime));
        }
        // Holds follow play statuses only: when none changed, none can.
        if (changes.Count > 0) ApplyInhibition(changes);
        published.Clear();
        return changes;
    }

    /// <summary>
    /// While a churn-risk play is open, the workspace's open expansion plays are held (an upsell pitch to a
    /// customer at risk does harm); when the risk clears, those still open are released.
    /// </summary>
    private void ApplyInhibition(List<Play> changes)
    {
        var risk = _plays.Values.Where(p => p is { Status: PlayStatus.Open, Kind: PlayKind.ChurnRisk, Shadow: false })
            .OrderBy(p => p.EventTime).ThenBy(p => p.PlayId, StringComparer.Ordinal).FirstOrDefault();
        foreach (var play in _plays.Values.Where(p => p is { Kind: PlayKind.Expansion, Shadow: false }).ToList())
        {
            var heldBy = play.Status == PlayStatus.Open ? risk?.PlayId : null;
            if (play.HeldBy == heldBy) continue;
            var updated = _plays[play.PlayId] = play with { HeldBy = heldBy };
            changes.RemoveAll(c => c.PlayId == play.PlayId);
            changes.Add(updated);
        }
    }

    private static Play WithStatus(Play play, PlayStatus status, EvaluationRun run, string playId, DateTimeOffset processingTime) => status switch
    {
        PlayStatus.Resolved => play with
        {
            Status = PlayStatus.Resolved,
            ResolvedAt = processingTime,
            ResolvedEventTime = run.Resolved.TryGetValue(playId, out var at) ? at.At : play.ResolvedEventTime,
        },
        _ => play with { Status = status, ResolvedAt = null, ResolvedEventTime = null },
    };

    /// <summary>
    /// The play id of the episode of a rule state (by its key) that started on <paramref name="startDay"/>:
    /// <see cref="Play.IdFor"/>, remembered per state key for its latest episode. Every evaluation asks for the
    /// ids of the open episodes, and hashing and formatting them each time was a visible share of the
    /// per-delivery cost; keyed by the string alone (ordinal), since a tuple key hashed the key string with
    /// the slower randomised hash. The memo is cleared when it grows past a bound.
    /// </summary>
    private string PlayIdFor(string stateKey, int startDay)
    {
        _playIds ??= new Dictionary<string, (int StartDay, string PlayId)>(StringComparer.Ordinal);
        if (_playIds.TryGetValue(stateKey, out var known) && known.StartDay == startDay) return known.PlayId;
        if (_playIds.Count >= 64) _playIds.Clear();
        var ruleId = RuleOf(stateKey);
        var playId = Play.IdFor(Id, ruleId, SubjectOf(stateKey, ruleId), startDay);
        _playIds[stateKey] = (startDay, playId);
        return playId;
    }

    private Play NewPlay(string playId, RuleDefinition rule, string? subject, int startDay, Evidence evidence, DateTimeOffset at, HealthScore health) => new()
    {
        PlayId = playId,
        WorkspaceId = Id,
        RuleId = rule.Id,
        Subject = subject,
        EpisodeStart = DateOnly.FromDateTime(EventDay.Start(startDay).UtcDateTime),
        Kind = rule.Kind,
        Severity = rule.Severity,
        Title = FormatTitle(rule.Title, subject, evidence),
        FiredAt = at, // replaced by the processing time when first published
        EventTime = at,
        Owner = PlayRouting.OwnerFor(rule.Kind, rule.OwnerRole, RuleProfile, _catalogue.Routing),
        Tier = RuleProfile?.Tier,
        Pod = RuleProfile?.Pod,
        Segment = RuleProfile?.Segment,
        Evidence = evidence,
        Health = new HealthAtFiring(health.Score, health.Status),
        Shadow = rule.Shadow,
    };

    private string FormatTitle(string template, string? subject, Evidence evidence) => template
        .Replace("{workspace}", RuleProfile?.Name ?? Id, StringComparison.Ordinal)
        .Replace("{subject}", subject ?? "", StringComparison.Ordinal)
        .Replace("{value}", Number(evidence.Value), StringComparison.Ordinal)
        .Replace("{threshold}", Number(evidence.Threshold), StringComparison.Ordinal)
        .Replace("{limit}", evidence.Limit is { } limit ? Number(limit) : "", StringComparison.Ordinal)
        .Replace("{baseline}", evidence.Baseline is { } baseline ? Number(baseline) : "", StringComparison.Ordinal)
        .Replace("{window}", evidence.Window, StringComparison.Ordinal)
        .Replace("{detail}", evidence.Detail ?? "", StringComparison.Ordinal);

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static int DayOf(DateOnly date) => EventDay.Of(new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero));

    private static string StateKey(string ruleId, string? subject) => subject is null ? ruleId : ruleId + "/" + subject;

    private static bool BelongsTo(string key, string ruleId) =>
        key.StartsWith(ruleId, StringComparison.Ordinal) && (key.Length == ruleId.Length || key[ruleId.Length] == '/');

    private static string RuleOf(string key) => key.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? key[..slash] : key;

    private static string? SubjectOf(string key, string ruleId) => key.Length == ruleId.Length ? null : key[(ruleId.Length + 1)..];

    /// <summary>When a time-based rule could next fire without new data (strictly after now); null if none can.</summary>
    public DateTimeOffset? NextDueAt()
    {
        var now = EvaluationTime ?? DateTimeOffset.MinValue;
        DateTimeOffset? next = null;
        foreach (var rule in _catalogue.Rules)
        {
            if (!rule.Condition.IsTimeBased || !rule.AppliesTo(Profile?.Tier, Profile?.Segment)) continue;
            if (rule.Condition.NextDue(this) is { } due && due > now && (next is null || due < next)) next = due;
        }
        return next;
    }

    /// <summary>Today's health with its 7-day trend and the factors that moved it most.</summary>
    public HealthScore Health() => _healthModel.Explain(this, HealthDay);

    /// <summary>Health of each of the last <paramref name="days"/> UTC days (oldest first), recomputed from the kept baselines.</summary>
    public IReadOnlyList<(DateOnly Day, HealthScore Health)> HealthHistory(int days)
    {
        var last = HealthDay;
        var first = Math.Max(last - days + 1, last - ActivityBitmap.Span + 29);
        var history = new List<(DateOnly, HealthScore)>();
        for (var day = first; day <= last; day++)
            history.Add((DateOnly.FromDateTime(EventDay.Start(day).UtcDateTime), _healthModel.Compute(this, day)));
        return history;
    }

    private int HealthDay => EvaluationTime is { } t ? EventDay.Of(t) : WatermarkDay;

    public WorkspaceMetrics Metrics()
    {
        var today = WatermarkDay;
        var last28 = DayWindow.Ending(today, 28);
        var last7 = DayWindow.Ending(today, 7);
        var active28 = DistinctActiveUsers(last28);
        return new WorkspaceMetrics(
            EventsApplied, Watermark,
            DistinctActiveUsers(last7), active28,
            CoreEventCount(last7), CoreEventCount(last28),
            DistinctCoreFeatures(last28),
            active28, Profile?.SeatsPurchased, _users.Count,
            _moduleUsers.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary(m => m.Key, m => m.Value.Values.Count(u => u.AnyIn(last28)), StringComparer.Ordinal),
            ActivatedAt);
    }

    /// <summary>The value this workspace contributes to its segment's peer median: distinct core features over the last 28 days.</summary>
    public int PeerMetric() => DistinctCoreFeatures(DayWindow.Ending(WatermarkDay, 28));

    // IWorkspaceBaselines: what rules and the health score read.
    public int WatermarkDay => Watermark is { } w ? EventDay.Of(w) : EvaluationTime is { } t ? EventDay.Of(t) : 0;
    public int? SeatsPurchased => RuleProfile?.SeatsPurchased;
    public DateTimeOffset? CreatedAt => RuleProfile?.CreatedAt;


    public IReadOnlyList<PilotCohort> PilotCohorts
    {
        get
        {
            // Memoised per profile: evaluation runs on every delivery, the profile changes rarely.
            var profile = RuleProfile;
            if (!ReferenceEquals(profile, _cohortsProfile) || _cohorts is null)
            {
                _cohorts = profile is null ? [] : PilotCohort.Of(profile.Pilots);
                _cohortMemos = [.. _cohorts.Select(_ => (-1, default(DayWindow), 0))];
                _cohortsProfile = profile;
            }
            return _cohorts;
        }
    }
    public EventConventions Conventions => _catalogue.Conventions;
    public double? SurveyScoreAsOf(int day)
    {
        var end = EventDay.Start(day + 1);
        for (var i = _surveys.Count - 1; i >= 0; i--)
            if (_surveys[i].At < end) return _surveys[i].Score;
        return null;
    }

    public IReadOnlySet<string> KnownModules => _moduleDays.Keys.Concat(RuleProfile?.Pilots.Keys ?? []).ToHashSet(StringComparer.Ordinal);

    public bool HasDataOn(int day) => _dataDays.IsSet(day);

    public int? LastUserActivityOnOrBefore(int day) => _userDays.LastActiveOnOrBefore(day);

    public int DistinctActiveUsers(DayWindow window)
    {
        if (_activeUsersMemo.Version == _activityVersion && _activeUsersMemo.Window == window) return _activeUsersMemo.Count;
        var count = 0;
        foreach (var activity in _users.Values)
            if (activity.AnyIn(window)) count++;
        _activeUsersMemo = (_activityVersion, window, count);
        return count;
    }

    public int DailyActiveUsers(int day)
    {
        var count = 0;
        foreach (var activity in _users.Values)
            if (activity.IsSet(day)) count++;
        return count;
    }

    public long SignalCount(string eventName, DayWindow window) =>
        _signals.TryGetValue(eventName, out var counter) ? counter.SumIn(window) : 0;

    public long CoreEventCount(DayWindow window) => _coreEvents.SumIn(window);

    public int DistinctCoreFeatures(DayWindow window) => _coreFeatures.Values.Count(f => f.AnyIn(window));

    public int DistinctModuleUsers(string module, IReadOnlyList<string> userIds, DayWindow window)
    {
        // Memoised for the cohorts this workspace built (immutable); any other list is counted afresh.
        var slot = CohortSlot(module, userIds);
        if (slot >= 0 && _cohortMemos[slot].Version == _activityVersion && _cohortMemos[slot].Window == window) return _cohortMemos[slot].Count;
        var count = 0;
        if (_moduleUsers.TryGetValue(module, out var users))
        {
            for (var i = 0; i < userIds.Count; i++)
                if (users.TryGetValue(userIds[i], out var activity) && activity.AnyIn(window)) count++;
        }
        if (slot >= 0) _cohortMemos[slot] = (_activityVersion, window, count);
        return count;
    }

    private int CohortSlot(string module, IReadOnlyList<string> userIds)
    {
        if (_cohorts is not { } cohorts) return -1;
        for (var i = 0; i < cohorts.Count; i++)
            if (ReferenceEquals(cohorts[i].Users, userIds) && cohorts[i].Module == module) return i;
        return -1;
    }

    public int ModulesUsed(DayWindow window) => _moduleDays.Values.Count(m => m.AnyIn(window));
}
