using System.Diagnostics;
using Moxing.Cli.Benchmarks;
using Moxing.Core.Tensors;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Commands;

/// <summary>`moxing bench MODEL -p 512 -n 128 -t 2 -r 5 [-b 1,4,16]`: llama-bench's pp/tg tokens per second, or aggregate rates of many sequences decoded together; `--memory` adds read bandwidth.</summary>
public sealed class BenchCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "bench";

    /// <inheritdoc />
    public string Summary => "prefill and decode speed like llama-bench, and memory read bandwidth (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing bench train [--steps 20] [-r 5] [--warmup 2] [-t THREADS] [--against PEER.json] [--json]
               moxing bench --plot OUT.png FILE.json...
               moxing bench [MODEL] [-p 512] [-n 128] [-d 0,4096] [-b 1,4,16] [--kv f16] [-t THREADS] [-r 5] [--memory] [--memory-mib 1024] [--low-memory] [--json]
          MODEL         a Hugging Face model folder or a GGUF file (omit with --memory to measure bandwidth only)
          -p            prompt tokens for the prefill test ppP (0 skips it)
          -n            tokens for the generation test tgN, decoded one at a time (0 skips it)
          -d            context depths, like llama-bench: each test also runs after D random tokens already in the KV cache
                        (prefilled untimed; named "ppP @ dD", "tgN @ dD"), for speed at long contexts; default 0
          -b            sequence counts, like llama-batched-bench: B sequences, each with its own prompt of -p tokens, are
                        prefilled (ppP bB) and then decode -n tokens together (tgN bB); rates are aggregate tokens/s
          --kv          KV cache type: f16 (default; q8_0 with --low-memory), q8_0 or f32
          --low-memory  as run --low-memory: Q8_0 KV cache, prefill chunks of 16, at most 4 threads (see --memory for resident memory)
          --plot OUT    chart saved results instead: moxing bench --plot OUT.png A.json [B.json ...] draws a PNG bar chart
                        of tokens/s per test from moxing bench --json, llama-bench -o json and llama-batched-bench jsonl files
          -t            worker threads (default: one per physical core)
          -r            repetitions after warm-up runs (until one compiles no method, at most 4); the mean ± sample standard deviation is reported
          --memory      also measure read bandwidth (vector sum over a buffer) and tg's fraction of the bandwidth bound
          --memory-mib  bandwidth buffer size in MiB
          --json        JSON output
        bench train times training steps (forward, backward, optimizer) of the digits CNN and the names GPT of
        docs/recipes on random batches of their shapes and reports samples/s (median of -r repetitions) and user CPU
        ms per step; --steps sets steps per repetition, --warmup the CPU seconds of untimed steps before them.
        --against PEER.json adds another engine's figures on the same models and the ratio: write it with
        python3 scripts/bench-train-pytorch.py -t THREADS > PEER.json.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "memory", "json", LowMemoryOption.Name };

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
        var batches = args.IntList("b");
        var depths = args.IntList("d", "n-depth") ?? [0];
        var lowMemory = args.Flag(LowMemoryOption.Name);
        DType? kvOption = args.Option("kv") is { } kv ? KvCacheType.Parse(kv, "--kv") : null;
        var plot = args.Option("plot");
        if (path == "train")
        {
            var steps = args.Int(20, "steps");
            var warmup = args.Float((float)TrainingThroughput.DefaultWarmupSeconds, "warmup");
            var against = args.Option("against");
            args.RejectUnknown();
            if (steps < 1) throw new UsageException("--steps must be at least 1");
            if (warmup is < 0 or > 600) throw new UsageException($"--warmup is seconds from 0 to 600, got {warmup}");
            if (repetitions < 1) throw new UsageException("-r must be at least 1");
            ThreadOption.SharedPool(threads);
            return TrainingBench.Run(steps, repetitions, TimeSpan.FromSeconds(warmup), json, against, context);
        }
        args.RejectUnknown();
        if (plot != null) return Plot(plot, args.Positionals, context);
        if (path == null && !memory) throw new UsageException("missing MODEL (or --memory to measure bandwidth only)");
        if (prompt < 0 || generate < 0) throw new UsageException("-p and -n must not be negative");
        if (repetitions < 1) throw new UsageException("-r must be at least 1");
        if (memoryMib < 1) throw new UsageException("--memory-mib must be at least 1");
        if (batches != null && (batches.Length == 0 || Array.Exists(batches, b => b < 1)))
            throw new UsageException("-b expects sequence counts of at least 1, e.g. -b 1,4,16");
        if (depths.Length == 0 || Array.Exists(depths, d => d < 0))
            throw new UsageException("-d expects context depths of at least 0, e.g. -d 0,4096");
        if (batches != null && Array.Exists(depths, d => d > 0))
            throw new UsageException("-d applies to the single-sequence tests; it cannot be combined with -b");
        if (threads == 0) LowMemoryOption.ConfigurePool(lowMemory, 0);
        var pool = ThreadOption.SharedPool(threads);

        var bandwidth = memory ? MemoryBandwidth.Measure(pool, (long)memoryMib << 20, repetitions) : null;
        var report = new BenchReport(pool.ThreadCount, bandwidth) { LowMemory = lowMemory };
        if (path != null)
        {
            var loadStart = Stopwatch.GetTimestamp();
            using var model = ModelLoader.Load(path);
            var decoder = model.RequireDecoder();
            report.Load = new LoadFacts(Stopwatch.GetElapsedTime(loadStart), LoadFacts.ResidentBytes());
            report.Model = ModelFacts.Of(path, model.Tensors);
            var kvType = kvOption ?? (lowMemory ? LowMemory.KvTypeFor(decoder.Options) : DType.F16);
            report.KvType = kvType.ToString();
            LowMemoryOption.Apply(model, lowMemory, context.Error);
            var bench = new ModelBenchmark(decoder, kvType, lowMemory ? LowMemory.PrefillChunk : InferenceSession.DefaultPrefillChunk);
            if (batches == null)
            {
                foreach (var depth in depths)
                {
                    var at = depth > 0 ? $" @ d{depth}" : "";
                    CheckContext(decoder, depth + Math.Max(prompt, generate));
                    if (prompt > 0) report.Tests.Add(new BenchTest($"pp{prompt}{at}", bench.Prefill(prompt, repetitions, depth), prompt, 0, 1, depth));
                    if (generate > 0) report.Tests.Add(new BenchTest($"tg{generate}{at}", bench.Generate(generate, repetitions, depth), 0, generate, 1, depth));
                }
            }
            else
                foreach (var b in batches)
                {
                    var (prefill, decode) = bench.Batched(b, prompt, generate, repetitions);
                    if (prompt > 0) report.Tests.Add(new BenchTest($"pp{prompt} b{b}", prefill, prompt, 0, b));
                    if (generate > 0) report.Tests.Add(new BenchTest($"tg{generate} b{b}", decode, prompt, generate, b));
                }
            report.Load = report.Load with { ResidentAfterRun = LoadFacts.ResidentBytes() };
        }
        if (json) JsonOutput.Write(context.Out, report.WriteJson, indented: true);
        else report.WriteTable(context.Out);
        return 0;
    }

    // A test past the model's trained context would measure positions it was never meant to run.
    private static void CheckContext(Models.Decoder.DecoderModel decoder, int positions)
    {
        var trained = decoder.Options.MaxContext;
        if (trained > 0 && positions > trained)
            throw new UsageException($"-d plus -p/-n needs {positions} positions; the model's context is {trained}");
    }

    private static int Plot(string output, IReadOnlyList<string> files, CommandContext context)
    {
        if (files.Count == 0) throw new UsageException("--plot needs the JSON files to chart (moxing bench --json, llama-bench -o json)");
        var results = new List<BenchResult>();
        foreach (var file in files) results.AddRange(BenchResult.Read(file));
        BenchChart.SavePng(results, output);
        context.Out.WriteLine($"wrote {output}: {results.Count} results from {files.Count} files");
        return 0;
    }
}
