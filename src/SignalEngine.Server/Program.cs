using SignalEngine.Server.Hosting;

try
{
    if (args.FirstOrDefault() == "migrate") return await MigrateCommand.RunAsync(args[1..]);
    await EngineHost.Create(args).RunAsync();
    return 0;
}
catch (InvalidConfigurationException ex)
{
    Console.Error.WriteLine($"signalengine: {ex.Message}");
    return 2;
}
