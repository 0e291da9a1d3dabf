using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/Moxing.Bench -- --filter '*'` (BenchmarkDotNet's switches: --list flat, --job short, …)
BenchmarkSwitcher.FromAssembly(typeof(Moxing.Bench.MatMulBenchmarks).Assembly).Run(args);
