using Moxing.Models;
using Moxing.Models.Encoder;

namespace Moxing.Cli.Commands;

/// <summary>`moxing embed MODEL --ids …`: an encoder's last hidden state and its pooled, normalised embedding.</summary>
public sealed class EmbedCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "embed";

    /// <inheritdoc />
    public string Summary => "embed token ids with an encoder: hidden states + pooled embedding (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing embed MODEL --ids 101,2023,102 [--json]
          MODEL   a Hugging Face encoder folder (BERT)
          --ids   token ids, comma-separated (include [CLS]/[SEP] yourself)
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var ids = args.IntList("ids") ?? throw new UsageException("--ids is required");
        args.Flag("json");
        args.RejectUnknown();
        using var model = ModelLoader.Load(path);
        var encoder = model.RequireEncoder();
        var hidden = encoder.Encode(ids);
        var pooled = BertModel.MeanPooledNormalized(hidden, encoder.Options.HiddenSize);
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.Numbers("ids", ids);
            w.Matrix("hidden", hidden, ids.Length);
            w.Numbers("embedding", pooled);
            w.WriteEndObject();
        });
        return 0;
    }
}
