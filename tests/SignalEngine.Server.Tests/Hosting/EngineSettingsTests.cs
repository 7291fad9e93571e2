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
}
