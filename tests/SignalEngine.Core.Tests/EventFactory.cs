using SignalEngine.Core.Events;

namespace SignalEngine.Core.Tests;

/// <summary>Builds validated <see cref="UsageEvent"/>s for one workspace, each with a fresh unique event id.</summary>
internal sealed class EventFactory(string workspaceId = EventFactory.DefaultWorkspace)
{
    public const string DefaultWorkspace = "ws_acme";

    /// <summary>The fixed "now" every test counts from.</summary>
    public static readonly DateTimeOffset T0 = new(2026, 11, 2, 12, 0, 0, TimeSpan.Zero);

    private int _next;

    /// <summary>Noon of day <paramref name="d"/>, counted from <see cref="T0"/>.</summary>
    public static DateTimeOffset Day(int d) => T0.AddDays(d);

    /// <summary>00:00 UTC of day <paramref name="d"/>: the moment day d − 1 is complete.</summary>
    public static DateTimeOffset Midnight(int d) => EventDay.Start(DayNumber(d));

    /// <summary>The UTC day number of day <paramref name="d"/>.</summary>
    public static int DayNumber(int d) => EventDay.Of(T0) + d;

    public string WorkspaceId => workspaceId;

    public UsageEvent Event(string name, string? userId, DateTimeOffset at, IReadOnlyDictionary<string, PropertyValue>? properties = null) =>
        new($"ev-{++_next:D6}", workspaceId, userId, name, at, properties);

    /// <summary>A core-feature event by <paramref name="userId"/>: makes the user active on that day.</summary>
    public UsageEvent Active(string userId, DateTimeOffset at, string feature = "core.report_viewed") => Event(feature, userId, at);

    /// <summary>One core event for each of users <c>{prefix}{first}</c> .. <c>{prefix}{first + count - 1}</c>.</summary>
    public List<UsageEvent> ActiveUsers(int first, int count, DateTimeOffset at, string prefix = "u") =>
        Enumerable.Range(first, count).Select(i => Active($"{prefix}{i}", at)).ToList();

    /// <summary>A <c>module.{module}.{action}</c> event by <paramref name="userId"/>.</summary>
    public UsageEvent ModuleUse(string module, string userId, DateTimeOffset at, string action = "opened") =>
        Event($"module.{module}.{action}", userId, at);

    /// <summary>A core-feature event without a user: core usage and data for the day, but nobody active.</summary>
    public UsageEvent CoreUse(DateTimeOffset at, string feature = "core.report_viewed") => Event(feature, null, at);

    /// <summary>An event that means nothing to any rule: the workspace sent data that day, nothing more.</summary>
    public UsageEvent Heartbeat(DateTimeOffset at) => Event("app.heartbeat", null, at);

    public UsageEvent LimitReached(DateTimeOffset at) => Event("limit.reached", null, at);

    public UsageEvent SponsorChanged(DateTimeOffset at) => Event("crm.sponsor_changed", null, at);

    public UsageEvent Escalation(DateTimeOffset at) => Event("support.ticket_escalated", null, at);

    public UsageEvent Survey(double score, DateTimeOffset at, string? userId = null) =>
        Event("survey.nps", userId, at, new Dictionary<string, PropertyValue> { ["score"] = PropertyValue.Of(score) });

    public UsageEvent Onboarded(DateTimeOffset at) => Event("onboarding.completed", null, at);
}
