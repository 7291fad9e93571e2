using Microsoft.Extensions.DependencyInjection;
using SignalEngine.Core.Capacity;

namespace SignalEngine.Grains.Tests;

/// <summary>One silo whose trimmer samples every 100 ms and trims once 20 workspaces went idle.</summary>
public sealed class TrimmingClusterFixture : EngineClusterFixture
{
    protected override short SiloCount => 1;

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton(new WorkspaceMemoryTrimOptions
        {
            Policy = new MemoryTrimOptions { MinimumDeactivated = 20, SettleTime = TimeSpan.FromMilliseconds(300), MinimumInterval = TimeSpan.FromMinutes(5) },
            SampleInterval = TimeSpan.FromMilliseconds(100),
        });
}

/// <summary>The count the workspace grains keep and the trim it drives: real activations, deactivations and collection.</summary>
public sealed class WorkspaceMemoryTests(TrimmingClusterFixture fixture) : IClassFixture<TrimmingClusterFixture>
{
    [Fact]
    public async Task Workspaces_going_idle_are_counted_and_trimmed_once()
    {
        var services = fixture.Cluster.Silos[0].ServiceProvider;
        var active = services.GetRequiredService<ActiveWorkspaces>();
        var trimmer = services.GetRequiredService<WorkspaceMemoryTrimmer>();
        var management = fixture.Client.GetGrain<IManagementGrain>(0);
        var fullCollections = GC.CollectionCount(GC.MaxGeneration);
        Task ActivateAll() => Task.WhenAll(Enumerable.Range(0, 30).Select(i => fixture.Client.GetGrain<IWorkspaceGrain>($"trim-{i}").GetView()));

        await ActivateAll();
        Assert.Equal(30, active.Count);
        await Task.Delay(600); // settled at the peak: nothing went idle, nothing to trim
        Assert.Equal(0, trimmer.Trims);

        await management.ForceActivationCollection(TimeSpan.Zero);
        await Eventually.Until(() => Task.FromResult(active.Count), count => count == 0, "every workspace deactivated");
        await Eventually.Until(() => Task.FromResult(trimmer.Trims), trims => trims == 1, "one trim");
        Assert.True(GC.CollectionCount(GC.MaxGeneration) > fullCollections);

        // Active and idle again within the minimum interval: no second pause.
        await ActivateAll();
        Assert.Equal(30, active.Count);
        await management.ForceActivationCollection(TimeSpan.Zero);
        await Eventually.Until(() => Task.FromResult(active.Count), count => count == 0, "every workspace deactivated again");
        await Task.Delay(600);
        Assert.Equal(1, trimmer.Trims);
    }
}
