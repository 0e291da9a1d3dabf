using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing detokenize MODEL|TOKENIZER.json --ids …`: the text of token ids.</summary>
public sealed class DetokenizeCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "detokenize";

    /// <inheritdoc />
    public string Summary => "text of token ids (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing detokenize MODEL|tokenizer.json --ids 1,2,3 [--skip-special] [--json]
          MODEL           a Hugging Face model folder, a GGUF file, or a tokenizer.json
          --ids           token ids, comma-separated
          --skip-special  leave out special tokens
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "skip-special", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL or tokenizer.json");
        var ids = args.IntList("ids") ?? throw new UsageException("--ids is required");
        var skip = args.Flag("skip-special");
        args.Flag("json");
        args.RejectUnknown();
        var tokenizer = ModelLoader.LoadTokenizer(path);
        foreach (var id in ids)
            if (tokenizer.IdToToken(id) == null) throw new UsageException($"token id {id} is not in the vocabulary ({tokenizer.VocabSize} tokens)");
        var text = tokenizer.Decode(ids, skip);
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteEndObject();
        });
        return 0;
    }
}
