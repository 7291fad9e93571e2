using BenchmarkDotNet.Running;

// dotnet run -c Release --project loadtests/SignalEngine.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
