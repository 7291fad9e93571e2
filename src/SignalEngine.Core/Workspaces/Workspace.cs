using System.Globalization;
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
/// One customer workspace: per-user activity by UTC event day, feature and module usage, signal
/// counts, the state machine of every rule, and the plays it has open. Pure: time comes in as arguments.
/// <see cref="Apply"/> folds a batch of events in and evaluates the rules once for the whole batch.
/// </summary>
public sealed partial class Workspace : IWorkspaceBaselines
{
    private readonly RuleCatalogue _catalogue;
    private readonly HealthModel _healthModel;
    private readonly Dictionary<string, ActivityBitmap> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, ActivityBitmap>> _moduleUsers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivityBitmap> _moduleDays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ActivityBitmap> _coreFeatures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DayCounter> _signals = new(StringComparer.Ordinal);
    private readonly DayCounter _coreEvents = new();
    private readonly Dictionary<string, RuleState> _ruleStates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Play> _openPlays = new(StringComparer.Ordinal);
    private (DateTimeOffset At, double Score)? _latestSurvey;

    public Workspace(string id, RuleCatalogue catalogue, HealthModel healthModel)
    {
        Id = id;
        _catalogue = catalogue;
        _healthModel = healthModel;
    }

    public string Id { get; }
    public WorkspaceProfile? Profile { get; private set; }
    public long EventsApplied { get; private set; }

    /// <summary>The newest event time seen: "now" for every rule window.</summary>
    public DateTimeOffset? Watermark { get; private set; }
    public DateTimeOffset? ActivatedAt { get; private set; }
    public bool HasSupportData { get; private set; }
    public bool HasCrmData { get; private set; }

    /// <summary>Known at all: it has a profile or has applied an event.</summary>
    public bool Exists => Profile is not null || EventsApplied > 0;

    public IReadOnlyCollection<Play> OpenPlays => _openPlays.Values;

    /// <summary>
    /// Folds already de-duplicated events into the baselines, then evaluates every rule once at the new
    /// watermark. Returns the plays that fired or resolved.
    /// </summary>
    public IReadOnlyList<Play> Apply(IReadOnlyList<UsageEvent> events, DateTimeOffset processingTime)
    {
        foreach (var e in events) Fold(e);
        return Evaluate(processingTime);
    }

    /// <summary>Replaces the CRM profile (seats, pilots, owners may have changed) and re-evaluates.</summary>
    public IReadOnlyList<Play> SetProfile(WorkspaceProfile profile, DateTimeOffset processingTime)
    {
        Profile = profile;
        return Evaluate(processingTime);
    }

    private void Fold(UsageEvent e)
    {
        var day = e.Day;
        var conventions = _catalogue.Conventions;
        EventsApplied++;
        if (Watermark is null || e.Timestamp > Watermark) Watermark = e.Timestamp;

        if (e.UserId is { } user) SetDay(_users, user, day, int.MaxValue);

        var name = e.Name;
        if (name.StartsWith(conventions.CoreFeaturePrefix, StringComparison.Ordinal))
        {
            _coreEvents.Add(day);
            SetDay(_coreFeatures, name, day, conventions.MaxTrackedCoreFeatures);
        }
        else if (conventions.ModuleOf(name) is { } module && SetDay(_moduleDays, module, day, conventions.MaxTrackedModules) && e.UserId is { } moduleUser)
        {
            if (!_moduleUsers.TryGetValue(module, out var users)) _moduleUsers[module] = users = new(StringComparer.Ordinal);
            SetDay(users, moduleUser, day, int.MaxValue);
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
            && score.Kind == PropertyKind.Number
            && (_latestSurvey is null || e.Timestamp >= _latestSurvey.Value.At))
        {
            _latestSurvey = (e.Timestamp, score.Number);
        }
    }

    /// <summary>Marks a key active on a day; a new key is only tracked while fewer than <paramref name="cap"/> are.</summary>
    private static bool SetDay(Dictionary<string, ActivityBitmap> map, string key, int day, int cap)
    {
        ref var bitmap = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(map, key);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref bitmap))
        {
            if (map.Count >= cap) return false;
            var fresh = new ActivityBitmap();
            fresh.Set(day);
            map[key] = fresh;
            return true;
        }
        bitmap.Set(day);
        return true;
    }

    /// <summary>Runs every applicable rule's state machine at the current watermark.</summary>
    public IReadOnlyList<Play> Evaluate(DateTimeOffset processingTime)
    {
        if (Watermark is not { } at) return [];
        List<Play>? changes = null;
        HealthScore? health = null;
        foreach (var rule in _catalogue.Rules)
        {
            var applies = rule.AppliesTo(Profile?.Tier, Profile?.Segment);
            var observed = new HashSet<string>(StringComparer.Ordinal);
            if (applies)
            {
                foreach (var observation in rule.Condition.Observe(this))
                {
                    var key = StateKey(rule.Id, observation.Subject);
                    observed.Add(key);
                    Step(rule, key, observation.Subject, observation, at, processingTime, ref changes, ref health);
                }
            }
            // Subjects that vanished (module no longer piloted, rule no longer applies) end their episode.
            foreach (var (key, state) in _ruleStates.Where(s => s.Value.Phase != RulePhase.Normal && BelongsTo(s.Key, rule.Id) && !observed.Contains(s.Key)).ToList())
                Step(rule, key, SubjectOf(key, rule.Id), null, at, processingTime, ref changes, ref health);
        }
        return changes ?? (IReadOnlyList<Play>)[];
    }

    private void Step(RuleDefinition rule, string key, string? subject, Observation? observation, DateTimeOffset at,
        DateTimeOffset processingTime, ref List<Play>? changes, ref HealthScore? health)
    {
        var before = _ruleStates.GetValueOrDefault(key) ?? RuleState.Initial;
        var (after, transition) = RuleStateMachine.Step(before, observation, rule, at);
        if (after != before) _ruleStates[key] = after;
        switch (transition)
        {
            case RuleTransition.Fire:
                health ??= Health();
                var play = NewPlay(rule, subject, after.Episode, observation!.Evidence, at, processingTime, health);
                _openPlays[key] = play;
                (changes ??= []).Add(play);
                break;
            case RuleTransition.Resolve when _openPlays.Remove(key, out var open):
                (changes ??= []).Add(open with { Status = PlayStatus.Resolved, ResolvedAt = processingTime, ResolvedEventTime = at });
                break;
        }
    }

    private Play NewPlay(RuleDefinition rule, string? subject, int episode, Evidence evidence, DateTimeOffset at, DateTimeOffset processingTime, HealthScore health) => new()
    {
        PlayId = Play.IdFor(Id, rule.Id, subject, episode),
        WorkspaceId = Id,
        RuleId = rule.Id,
        Subject = subject,
        Episode = episode,
        Kind = rule.Kind,
        Severity = rule.Severity,
        Title = FormatTitle(rule.Title, subject, evidence),
        FiredAt = processingTime,
        EventTime = at,
        Owner = PlayRouting.OwnerFor(rule.Kind, rule.OwnerRole, Profile),
        Tier = Profile?.Tier,
        Pod = Profile?.Pod,
        Segment = Profile?.Segment,
        Evidence = evidence,
        Health = new HealthAtFiring(health.Score, health.Status),
    };

    private string FormatTitle(string template, string? subject, Evidence evidence) => template
        .Replace("{workspace}", Profile?.Name ?? Id, StringComparison.Ordinal)
        .Replace("{subject}", subject ?? "", StringComparison.Ordinal)
        .Replace("{value}", Number(evidence.Value), StringComparison.Ordinal)
        .Replace("{threshold}", Number(evidence.Threshold), StringComparison.Ordinal)
        .Replace("{limit}", evidence.Limit is { } limit ? Number(limit) : "", StringComparison.Ordinal)
        .Replace("{baseline}", evidence.Baseline is { } baseline ? Number(baseline) : "", StringComparison.Ordinal)
        .Replace("{window}", evidence.Window, StringComparison.Ordinal);

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string StateKey(string ruleId, string? subject) => subject is null ? ruleId : ruleId + "/" + subject;

    private static bool BelongsTo(string key, string ruleId) =>
        key.StartsWith(ruleId, StringComparison.Ordinal) && (key.Length == ruleId.Length || key[ruleId.Length] == '/');

    private static string? SubjectOf(string key, string ruleId) => key.Length == ruleId.Length ? null : key[(ruleId.Length + 1)..];

    public HealthScore Health() => _healthModel.Compute(this);

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
            _coreFeatures.Values.Count(f => f.AnyIn(last28)),
            active28, Profile?.SeatsPurchased, _users.Count,
            _moduleUsers.OrderBy(m => m.Key, StringComparer.Ordinal).ToDictionary(m => m.Key, m => m.Value.Values.Count(u => u.AnyIn(last28)), StringComparer.Ordinal),
            ActivatedAt);
    }

    // IWorkspaceBaselines: what rules and the health score read.
    public int WatermarkDay => Watermark is { } w ? EventDay.Of(w) : 0;
    public int? SeatsPurchased => Profile?.SeatsPurchased;
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Pilots => Profile?.Pilots ?? new Dictionary<string, IReadOnlyList<string>>();
    public EventConventions Conventions => _catalogue.Conventions;
    public double? LatestSurveyScore => _latestSurvey?.Score;

    public IReadOnlySet<string> KnownModules => _moduleDays.Keys.Concat(Pilots.Keys).ToHashSet(StringComparer.Ordinal);

    public int DistinctActiveUsers(DayWindow window)
    {
        var count = 0;
        foreach (var activity in _users.Values)
            if (activity.AnyIn(window)) count++;
        return count;
    }

    public long SignalCount(string eventName, DayWindow window) =>
        _signals.TryGetValue(eventName, out var counter) ? counter.SumIn(window) : 0;

    public long CoreEventCount(DayWindow window) => _coreEvents.SumIn(window);

    public int DistinctModuleUsers(string module, IEnumerable<string> userIds, DayWindow window)
    {
        if (!_moduleUsers.TryGetValue(module, out var users)) return 0;
        var count = 0;
        foreach (var user in userIds)
            if (users.TryGetValue(user, out var activity) && activity.AnyIn(window)) count++;
        return count;
    }

    public int ModulesUsed(DayWindow window) => _moduleDays.Values.Count(m => m.AnyIn(window));
}
