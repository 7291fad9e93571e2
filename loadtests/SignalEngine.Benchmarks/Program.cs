using BenchmarkDotNet.Running;
using SignalEngine.Benchmarks;

// dotnet run -c Release --project loadtests/SignalEngine.Benchmarks -- --filter '*'
// dotnet run -c Release --project loadtests/SignalEngine.Benchmarks -- footprint [workspaces]
if (args is ["footprint", ..])
{
    WorkspaceFootprint.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
