using SignalEngine.Server.Hosting;

try
{
    await EngineHost.Create(args).RunAsync();
    return 0;
}
catch (InvalidConfigurationException ex)
{
    Console.Error.WriteLine($"signalengine: {ex.Message}");
    return 2;
}
