using Moxing.Inference.Evaluation;
using Moxing.Inference.Sessions;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing logits MODEL --ids 1,2,3 [--all]`: the float32 logits after feeding exactly those ids.</summary>
public sealed class LogitsCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "logits";

    /// <inheritdoc />
    public string Summary => "print the logits after feeding token ids (conformance, --json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing logits MODEL --ids 1,2,3 [--all] [--kv-type f16|q8_0|f32] [--dump DIR] [--json]
          MODEL      a Hugging Face model folder or a GGUF file
          --ids      token ids to feed, comma-separated
          --all      logits of every position ([n, vocab]) instead of the last ([vocab])
          --kv-type  KV cache storage (default f16)
          --dump     also write the activations entering every weight-matrix product, and the logits, to DIR
                     (NNNN-WEIGHT.bin, logits.bin: int32 columns, rows, 1, 1, then float32 rows), to compare layer by
                     layer with llama.cpp's graph (scripts/llama-tensor-dump.cpp, scripts/compare-activations.py)
          --json     JSON output (the default; the only format)
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "all", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var ids = args.IntList("ids") ?? throw new UsageException("--ids is required");
        var all = args.Flag("all");
        var kvType = args.Option("kv-type") is { } kv ? KvCacheType.Parse(kv, "--kv-type") : Core.Tensors.DType.F16;
        var dump = args.Option("dump");
        args.Flag("json");
        args.RejectUnknown();
        if (ids.Length == 0) throw new UsageException("--ids must list at least one id");
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        var session = new InferenceSession(decoder, ids.Length, kvType: KvCacheType.For(decoder.Options, kvType));
        var vocab = decoder.Options.VocabSize;
        float[] logits;
        if (dump != null) decoder.MatMulObserver = new ActivationDump(dump);
        if (all)
        {
            logits = new float[ids.Length * vocab];
            session.PrefillAll(ids, logits);
        }
        else logits = session.Prefill(ids).ToArray();
        if (dump != null) ActivationDump.Write(Path.Combine(dump, "logits.bin"), logits, vocab, logits.Length / vocab);
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.Numbers("ids", ids);
            if (all) w.Matrix("logits", logits, ids.Length);
            else w.Numbers("logits", logits);
            w.WriteEndObject();
        });
        return 0;
    }
}
