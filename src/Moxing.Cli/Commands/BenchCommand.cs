using System.Diagnostics;
using Moxing.Cli.Benchmarks;
using Moxing.Core.Kernels;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing bench MODEL -p 512 -n 128 -t 2 -r 5`: llama-bench's pp/tg tokens per second; `--memory` adds read bandwidth.</summary>
public sealed class BenchCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "bench";

    /// <inheritdoc />
    public string Summary => "prefill and decode speed like llama-bench, and memory read bandwidth (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing bench [MODEL] [-p 512] [-n 128] [-t THREADS] [-r 5] [--memory] [--memory-mib 1024] [--json]
          MODEL         a Hugging Face model folder or a GGUF file (omit with --memory to measure bandwidth only)
          -p            prompt tokens for the prefill test ppP (0 skips it)
          -n            tokens for the generation test tgN, decoded one at a time (0 skips it)
          -t            worker threads (default: one per physical core)
          -r            repetitions after one warm-up; the mean ± sample standard deviation is reported
          --memory      also measure read bandwidth (vector sum over a buffer) and tg's fraction of the bandwidth bound
          --memory-mib  bandwidth buffer size in MiB
          --json        JSON output
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "memory", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Positionals.Count > 0 ? args.Positionals[0] : null;
        var prompt = args.Int(512, "p", "n-prompt");
        var generate = args.Int(128, "n", "n-gen");
        var threads = args.Int(0, "t", "threads");
        var repetitions = args.Int(5, "r", "repetitions");
        var memory = args.Flag("memory");
        var memoryMib = args.Int(1024, "memory-mib");
        var json = args.Flag("json");
        args.RejectUnknown();
        if (path == null && !memory) throw new UsageException("missing MODEL (or --memory to measure bandwidth only)");
        if (prompt < 0 || generate < 0) throw new UsageException("-p and -n must not be negative");
        if (repetitions < 1) throw new UsageException("-r must be at least 1");
        if (memoryMib < 1) throw new UsageException("--memory-mib must be at least 1");
        var pool = SharedPool(threads);

        var bandwidth = memory ? MemoryBandwidth.Measure(pool, (long)memoryMib << 20, repetitions) : null;
        var report = new BenchReport(pool.ThreadCount, bandwidth);
        if (path != null)
        {
            var loadStart = Stopwatch.GetTimestamp();
            using var model = ModelLoader.Load(path);
            var decoder = model.RequireDecoder();
            report.Load = new LoadFacts(Stopwatch.GetElapsedTime(loadStart), LoadFacts.ResidentBytes());
            report.Model = ModelFacts.Of(path, model.Tensors);
            var bench = new ModelBenchmark(decoder);
            if (prompt > 0) report.Tests.Add(($"pp{prompt}", bench.Prefill(prompt, repetitions), false));
            if (generate > 0) report.Tests.Add(($"tg{generate}", bench.Generate(generate, repetitions), true));
            report.Load = report.Load with { ResidentAfterRun = LoadFacts.ResidentBytes() };
        }
        if (json) JsonOutput.Write(context.Out, report.WriteJson, indented: true);
        else report.WriteTable(context.Out);
        return 0;
    }

    private static WorkerPool SharedPool(int threads)
    {
        if (threads < 0) throw new UsageException("-t must be positive");
        if (threads == 0) return WorkerPool.Shared;
        try
        {
            WorkerPool.ConfigureShared(threads);
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException($"-t {threads}: {e.Message}");
        }
        return WorkerPool.Shared;
    }
}
