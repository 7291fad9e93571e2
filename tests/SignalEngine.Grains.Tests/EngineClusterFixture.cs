using Orleans.Serialization;
using Orleans.TestingHost;

namespace SignalEngine.Grains.Tests;

/// <summary>A two-silo in-process Orleans cluster configured exactly as the engine's memory mode.</summary>
public sealed class EngineClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) => silo.AddSignalEngineMemoryMode());
        builder.ConfigureClient(client => client.Services.AddSerializer(s => Serialization.CoreTypesSerialization.AddSignalEngineTypes(s)));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class EngineClusterCollection : ICollectionFixture<EngineClusterFixture>
{
    public const string Name = "engine cluster";
}
