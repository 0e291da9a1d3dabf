using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing tokenize MODEL|TOKENIZER.json --text T [--special]`: token ids of a text.</summary>
public sealed class TokenizeCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "tokenize";

    /// <inheritdoc />
    public string Summary => "token ids of a text (--json)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing tokenize MODEL|tokenizer.json --text TEXT [--special] [--json]
          MODEL       a Hugging Face model folder, a GGUF file, or a tokenizer.json
          --text      the text to encode
          --special   add the model's special tokens (BOS, [CLS]/[SEP], …) as transformers' add_special_tokens does
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "special", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL or tokenizer.json");
        var text = args.Option("text") ?? throw new UsageException("--text is required");
        var special = args.Flag("special");
        args.Flag("json");
        args.RejectUnknown();
        var tokenizer = ModelLoader.LoadTokenizer(path);
        var ids = tokenizer.Encode(text, special);
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.Numbers("ids", ids);
            w.WriteStartArray("tokens");
            foreach (var id in ids) w.WriteStringValue(tokenizer.IdToToken(id));
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return 0;
    }
}
