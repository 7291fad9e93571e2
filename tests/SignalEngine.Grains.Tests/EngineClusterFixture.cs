using Orleans.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace SignalEngine.Grains.Tests;

/// <summary>A two-silo in-process Orleans cluster configured exactly as the engine's memory mode.</summary>
public class EngineClusterFixture : IAsyncLifetime
{
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    /// <summary>The clock SignalEngine's grains read; the Orleans runtime keeps real time.</summary>
    protected virtual TimeProvider EngineClock => TimeProvider.System;

    protected virtual short SiloCount => 2;

    /// <summary>Services a derived cluster sets before the engine's defaults.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton(EngineSilo.Clock, EngineClock);
            ConfigureServices(silo.Services);
            silo.AddSignalEngineMemoryMode();
        });
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

/// <summary>A separate cluster whose engine clock is a <see cref="FakeTimeProvider"/> the tests move by hand.</summary>
public sealed class FakeClockClusterFixture : EngineClusterFixture
{
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    protected override TimeProvider EngineClock => Time;
}
