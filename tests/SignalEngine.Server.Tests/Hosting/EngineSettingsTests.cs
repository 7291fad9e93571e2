using Microsoft.Extensions.Configuration;
using SignalEngine.Server.Hosting;

namespace SignalEngine.Server.Tests.Hosting;

public sealed class EngineSettingsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Defaults_are_memory_mode_with_a_generated_key()
    {
        var settings = EngineSettings.From(Config());
        Assert.Equal(StorageMode.Memory, settings.Storage);
        Assert.True(settings.ApiKeyGenerated);
        Assert.StartsWith("se_", settings.ApiKey);
        Assert.Equal(11111, settings.SiloPort);
        Assert.Equal(30000, settings.GatewayPort);
        Assert.NotEqual(settings.ApiKey, EngineSettings.From(Config()).ApiKey);
    }

    [Fact]
    public void Every_bad_value_is_reported_by_name()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => EngineSettings.From(Config(
            ("SIGNALENGINE_API_KEY", "short"),
            ("SIGNALENGINE_STORAGE", "redis"),
            ("SIGNALENGINE_SILO_PORT", "70000"),
            ("SIGNALENGINE_PARTITIONS", "many"))));
        Assert.Equal(4, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_API_KEY:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_STORAGE: 'redis'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_SILO_PORT: '70000'", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_PARTITIONS: 'many'", StringComparison.Ordinal));
    }

    [Fact]
    public void Delivery_interval_and_idle_time_are_read_and_bounded()
    {
        var defaults = EngineSettings.From(Config());
        Assert.Null(defaults.DeliveryInterval); // each mode keeps its own default
        Assert.Equal(TimeSpan.FromMinutes(15), defaults.WorkspaceIdleAfter);

        var set = EngineSettings.From(Config(("SIGNALENGINE_DELIVERY_INTERVAL_MS", "50"), ("SIGNALENGINE_WORKSPACE_IDLE_MINUTES", "2")));
        Assert.Equal(TimeSpan.FromMilliseconds(50), set.DeliveryInterval);
        Assert.Equal(TimeSpan.FromMinutes(2), set.WorkspaceIdleAfter);

        // Orleans collects idle grains once a minute: an idle time of 1 minute would stop the silo at start.
        var error = Assert.Throws<InvalidConfigurationException>(() => EngineSettings.From(Config(
            ("SIGNALENGINE_DELIVERY_INTERVAL_MS", "0"), ("SIGNALENGINE_WORKSPACE_IDLE_MINUTES", "1"))));
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_DELIVERY_INTERVAL_MS:", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("SIGNALENGINE_WORKSPACE_IDLE_MINUTES:", StringComparison.Ordinal));
    }

    [Fact]
    public void Memory_trim_threshold_is_read_and_can_be_turned_off()
    {
        Assert.Equal(10_000, EngineSettings.From(Config()).MemoryTrim.MinimumDeactivated);
        Assert.Equal(0, EngineSettings.From(Config(("SIGNALENGINE_MEMORY_TRIM_AFTER", "0"))).MemoryTrim.MinimumDeactivated);
        Assert.Equal(50_000, EngineSettings.From(Config(("SIGNALENGINE_MEMORY_TRIM_AFTER", "50000"))).MemoryTrim.MinimumDeactivated);
        var error = Assert.Throws<InvalidConfigurationException>(() => EngineSettings.From(Config(("SIGNALENGINE_MEMORY_TRIM_AFTER", "-1"))));
        Assert.StartsWith("SIGNALENGINE_MEMORY_TRIM_AFTER: '-1'", Assert.Single(error.Errors), StringComparison.Ordinal);
    }
}
