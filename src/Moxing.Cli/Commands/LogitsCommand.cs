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
        usage: moxing logits MODEL --ids 1,2,3 [--all] [--json]
          MODEL      a Hugging Face model folder or a GGUF file
          --ids      token ids to feed, comma-separated
          --all      logits of every position ([n, vocab]) instead of the last ([vocab])
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
        args.Flag("json");
        args.RejectUnknown();
        if (ids.Length == 0) throw new UsageException("--ids must list at least one id");
        using var model = ModelLoader.Load(path);
        var decoder = model.RequireDecoder();
        var session = new InferenceSession(decoder, ids.Length);
        var vocab = decoder.Options.VocabSize;
        float[] logits;
        if (all)
        {
            logits = new float[ids.Length * vocab];
            session.PrefillAll(ids, logits);
        }
        else logits = session.Prefill(ids).ToArray();
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
