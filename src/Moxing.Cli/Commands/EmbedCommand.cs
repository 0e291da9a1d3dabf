using Moxing.Models;
using Moxing.Server.Embeddings;

namespace Moxing.Cli.Commands;

/// <summary>`moxing embed MODEL --ids …|--text …`: an encoder's last hidden state and its pooled, normalised embedding.</summary>
public sealed class EmbedCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "embed";

    /// <inheritdoc />
    public string Summary => "embed text or token ids with an encoder: hidden states + pooled embedding (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing embed MODEL (--text TEXT | --ids 101,2023,102) [--json]
          MODEL   an encoder: a Hugging Face folder (bert, roberta, xlm-roberta, nomic_bert) or a GGUF (bert, nomic-bert)
          --text  text, tokenized with the model's tokenizer ([CLS]/[SEP] or <s>/</s> added as the model adds them)
          --ids   token ids, comma-separated (include [CLS]/[SEP] yourself)
          The embedding is pooled as the model declares (GGUF pooling_type, sentence-transformers' Pooling; mean by default).
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var idList = args.IntList("ids");
        var text = args.Option("text");
        if ((idList == null) == (text == null)) throw new UsageException("give one of --ids and --text");
        args.Flag("json");
        args.RejectUnknown();
        using var model = ModelLoader.Load(path);
        var encoder = model.RequireEncoder();
        var ids = idList ?? model.RequireTokenizer().Encode(text!, addSpecialTokens: true);
        var hidden = encoder.Encode(ids);
        var pooled = EmbeddingPoolings.PoolNormalized(hidden, encoder.Options.HiddenSize, EmbeddingPoolings.For(model));
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
