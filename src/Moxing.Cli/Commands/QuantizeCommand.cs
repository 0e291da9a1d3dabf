using System.Diagnostics;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models.Conversion;
using Spectre.Console;

namespace Moxing.Cli.Commands;

/// <summary>`moxing quantize IN OUT --type TYPE`: a GGUF (or a Hugging Face folder, converted as convert_hf_to_gguf.py would) quantized as llama-quantize would.</summary>
public sealed class QuantizeCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "quantize";

    /// <inheritdoc />
    public string Summary => "quantize a GGUF or Hugging Face folder to Q8_0 … Q2_K, IQ4_NL/XS or a llama.cpp mix (Q4_K_M, …), as llama-quantize";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing quantize IN OUT.gguf --type TYPE [--imatrix FILE] [-t N] [--dry-run]
          IN         a GGUF (F32, F16, BF16, or quantized: its weights are decoded first), or a Hugging Face folder of F32/F16/BF16
                     safetensors (llama, mistral, mixtral, granite, olmo2, qwen2/3, qwen2/3_moe, olmoe, gpt2, phi, phi3, gemma,
                     gemma2, gemma3, starcoder2, falcon, exaone, smollm3, internlm2, cohere, cohere2, stablelm, glm4, glm, nemotron,
                     olmo, minicpm, granitemoe(shared), phimoe, ernie4_5(_moe), llama4(_text), deepseek_v2/v3, seed_oss, exaone4, hunyuan_v1_dense, arcee, mistral3 (its language model), apertus, glm4_moe, dots1, hunyuan_v1_moe, bailing_moe(_v2), mamba, falcon_mamba, jamba; gpt_oss, its MXFP4 experts kept MXFP4) converted as
                     convert_hf_to_gguf.py does (--type F32/F16/BF16: just convert)
          --type     {string.Join(" | ", QuantizationMix.Known.Select(m => m.Name))}
                     (Q3_K, Q4_K, Q5_K mean the _M mixes; per-tensor types as llama-quantize picks them)
          --imatrix  an importance matrix (llama-imatrix or moxing imatrix, .gguf or legacy .dat)
          -t         threads (default: one per core)
          --dry-run  print each tensor's type without writing
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "dry-run" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var input = args.Required(0, "IN");
        var dryRun = args.Flag("dry-run");
        var output = dryRun ? null : args.Required(1, "OUT.gguf");
        var typeName = args.Option("type") ?? throw new UsageException("--type is required");
        var imatrixPath = args.Option("imatrix");
        var threads = args.Int(0, "t", "threads");
        args.RejectUnknown();
        var mix = QuantizationMix.Find(typeName) ?? throw new UsageException($"--type: unknown type '{typeName}'");
        if (threads < 0) throw new UsageException("-t must be positive");
        var importance = imatrixPath == null ? null : ImportanceMatrix.Load(imatrixPath);
        using var source = QuantizationSource.Open(input);
        if (dryRun)
        {
            foreach (var t in GgufQuantizer.Plan(source.Input, mix, importance))
                context.Out.WriteLine($"{t.Name,-36} [{string.Join(", ", t.Shape)}] {t.From} -> {t.To}");
            return 0;
        }
        using var ownPool = threads > 0 ? new WorkerPool(threads) : null;
        var pool = ownPool ?? WorkerPool.Shared;
        var clock = Stopwatch.StartNew();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error) });
        if (console.Profile.Capabilities.Interactive)
            console.Progress().AutoClear(true).Start(ctx =>
            {
                var bar = ctx.AddTask($"quantizing to {mix.Name}");
                GgufQuantizer.Quantize(source.Input, output!, mix, importance, pool, (i, n, t) =>
                {
                    bar.MaxValue = n;
                    bar.Value = i;
                    bar.Description = $"{mix.Name}: {t.Name}";
                }, context.Cancellation);
                bar.Value = bar.MaxValue;
            });
        else
            GgufQuantizer.Quantize(source.Input, output!, mix, importance, pool,
                (i, n, t) => context.Error.WriteLine($"[{i + 1,4}/{n}] {t.Name,-36} {t.From} -> {t.To}"), context.Cancellation);
        var before = Directory.Exists(input) ? Directory.EnumerateFiles(input, "*.safetensors").Sum(f => new FileInfo(f).Length) : new FileInfo(input).Length;
        var after = new FileInfo(output!).Length;
        context.Out.WriteLine($"wrote {output}: {mix.Name}, {HumanUnits.Bytes(before)} -> {HumanUnits.Bytes(after)} in {clock.Elapsed.TotalSeconds:F1} s"
            + (importance != null ? $" (importance from {imatrixPath})" : ""));
        return 0;
    }
}
