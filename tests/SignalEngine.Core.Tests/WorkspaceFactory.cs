using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Tests;

/// <summary>Workspaces with the default rules and health model, and profiles for them.</summary>
internal static class WorkspaceFactory
{
    public const string CsmName = "Carla CSM";
    public const string AccountManagerName = "Arno AM";

    public static Workspace New(string id = EventFactory.DefaultWorkspace, RuleCatalogue? catalogue = null) =>
        new(id, catalogue ?? RuleCatalogue.Default, HealthModel.Default);

    public static WorkspaceProfile Profile(int? seats = null, int tier = 1, IReadOnlyDictionary<string, IReadOnlyList<string>>? pilots = null) => new()
    {
        Name = "Acme",
        CreatedAt = EventFactory.T0.AddDays(-400),
        Plan = "business",
        SeatsPurchased = seats,
        Mrr = 1234.50m,
        Tier = tier,
        Segment = "mid-market",
        Pod = "emea-1",
        Csm = CsmName,
        AccountManager = AccountManagerName,
        Pilots = pilots ?? new Dictionary<string, IReadOnlyList<string>>(),
    };

    /// <summary>A workspace whose profile is already set (no events yet, so nothing is evaluated).</summary>
    public static Workspace WithProfile(WorkspaceProfile profile, RuleCatalogue? catalogue = null)
    {
        var workspace = New(catalogue: catalogue);
        Assert.Empty(workspace.SetProfile(profile, EventFactory.T0));
        return workspace;
    }

    public static IReadOnlyList<string> Users(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => $"{prefix}{i}").ToList();

    /// <summary>The identity of the open plays, comparable as a set.</summary>
    public static HashSet<(string RuleId, string? Subject, DateOnly EpisodeStart, string PlayId)> OpenPlayKeys(Workspace workspace) =>
        workspace.OpenPlays.Select(p => (p.RuleId, p.Subject, p.EpisodeStart, p.PlayId)).ToHashSet();

    /// <summary>The one play of <paramref name="ruleId"/> among <paramref name="plays"/> (other rules may have changed too).</summary>
    public static Play Single(IEnumerable<Play> plays, string ruleId) => Assert.Single(plays, p => p.RuleId == ruleId);

    /// <summary>The plays of one rule.</summary>
    public static List<Play> Of(this IEnumerable<Play> plays, string ruleId) => plays.Where(p => p.RuleId == ruleId).ToList();

    /// <summary>The default rule with this id.</summary>
    public static RuleDefinition Rule(string ruleId) => RuleCatalogue.Default.Rules.Single(r => r.Id == ruleId);

    /// <summary>The default catalogue restricted to some of its rules (same conventions), optionally changed.</summary>
    public static RuleCatalogue Only(params RuleDefinition[] rules) => new(rules, RuleCatalogue.Default.Conventions);

    /// <summary>The UTC day number of an instant.</summary>
    public static int DayOf(DateTimeOffset at) => Core.Events.EventDay.Of(at);

    /// <summary>The calendar date of a UTC day number, as <see cref="Play.EpisodeStart"/> holds it.</summary>
    public static DateOnly DateOf(int day) => DateOnly.FromDateTime(Core.Events.EventDay.Start(day).UtcDateTime);

    /// <summary>The calendar date of an instant's UTC day.</summary>
    public static DateOnly DateOf(DateTimeOffset at) => DateOf(DayOf(at));
}
