using SignalEngine.Core.Health;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Tests;

/// <summary>Structural equality for records that hold collections (records compare those by reference).</summary>
internal static class WorkspaceAssert
{
    public static void MetricsEqual(WorkspaceMetrics expected, WorkspaceMetrics actual)
    {
        Assert.Equal(expected with { ModuleActiveUsers28d = null! }, actual with { ModuleActiveUsers28d = null! });
        Assert.Equal(
            expected.ModuleActiveUsers28d.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList(),
            actual.ModuleActiveUsers28d.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList());
    }

    public static void HealthEqual(HealthScore expected, HealthScore actual)
    {
        Assert.Equal(expected.Score, actual.Score);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Factors, actual.Factors);
    }

    public static void OpenPlaysEqual(Workspace expected, Workspace actual) =>
        Assert.Equal(expected.OpenPlays.OrderBy(p => p.PlayId, StringComparer.Ordinal), actual.OpenPlays.OrderBy(p => p.PlayId, StringComparer.Ordinal));

    public static void ProfileEqual(WorkspaceProfile? expected, WorkspaceProfile? actual)
    {
        if (expected is null) { Assert.Null(actual); return; }
        Assert.NotNull(actual);
        Assert.Equal(expected with { Pilots = null! }, actual with { Pilots = null! });
        Assert.Equal(
            expected.Pilots.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, string.Join(",", kv.Value))),
            actual.Pilots.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, string.Join(",", kv.Value))));
    }
}
