using SignalEngine.Core.Events;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Benchmarks;

/// <summary>
/// Managed memory one workspace's Core state holds (no Orleans): N workspaces of 20 users with 60 days of
/// activity each are built and kept, and the managed heap after a full collection is divided by N. Also
/// the size of one binary snapshot. Run: <c>... SignalEngine.Benchmarks -- footprint [N]</c>.
/// </summary>
public static class WorkspaceFootprint
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    public static void Run(int count)
    {
        var catalogue = RuleCatalogue.Default;
        var health = RuleCatalogue.DefaultHealth;
        var random = new Random(11);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var workspaces = new Workspace[count];
        long snapshotBytes = 0, compressedBytes = 0;
        for (var i = 0; i < count; i++)
        {
            var id = $"ws-{i:D7}";
            var workspace = new Workspace(id, catalogue, health);
            workspace.SetProfile(new WorkspaceProfile { Name = id, CreatedAt = Now.AddDays(-200), Tier = 2, SeatsPurchased = 25, Segment = "smb", Pod = "emea-1", Csm = "dana", AccountManager = "ari" }, Now);
            var eventId = 0;
            for (var day = 60; day >= 0; day--)
            {
                var events = new List<UsageEvent>();
                for (var user = 0; user < 20; user++)
                {
                    if (random.Next(3) != 0) continue; // each user active on about a third of the days
                    var name = random.Next(8) == 0 ? $"module.reports.opened" : $"core.feature_{random.Next(12)}";
                    events.Add(new UsageEvent($"e{eventId++}", id, $"user-{user:D3}@example.com", name, Now.AddDays(-day).AddMinutes(-random.Next(600))));
                }
                workspace.Apply(events, Now);
            }
            workspace.TrimExcess(); // as the grain does at each checkpoint
            workspaces[i] = workspace;
            if (i < 100)
            {
                var snapshot = workspace.ToSnapshot();
                snapshotBytes += snapshot.Length;
                compressedBytes += CompressedSnapshot.Compress(snapshot).Length; // what grain storage keeps
            }
        }
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{count:N0} workspaces of 20 users, 61 days of activity: {(after - before) / count:N0} bytes of managed heap each; snapshot {snapshotBytes / Math.Min(count, 100):N0} bytes, {compressedBytes / Math.Min(count, 100):N0} compressed");
        GC.KeepAlive(workspaces);
    }
}
