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
    public static HashSet<(string RuleId, string? Subject, int Episode, string PlayId)> OpenPlayKeys(Workspace workspace) =>
        workspace.OpenPlays.Select(p => (p.RuleId, p.Subject, p.Episode, p.PlayId)).ToHashSet();

    public static Play Single(IReadOnlyList<Play> plays, string ruleId) => Assert.Single(plays, p => p.RuleId == ruleId);
}
