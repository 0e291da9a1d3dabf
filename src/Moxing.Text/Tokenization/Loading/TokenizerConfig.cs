using System.Text.Json;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>The parts of transformers' tokenizer_config.json a tokenizer needs: special-token names and decode clean-up.</summary>
internal sealed record TokenizerConfig(string? BosToken, string? EosToken, string? UnkToken, string? PadToken,
    bool CleanUpTokenizationSpaces, string? TokenizerClass = null, bool? AddPrefixSpace = null, bool? Legacy = null,
    bool? AddBosToken = null, bool? AddEosToken = null)
{
    /// <summary>cls_token (BERT's [CLS]).</summary>
    public string? ClsToken { get; init; }

    /// <summary>sep_token (BERT's [SEP]).</summary>
    public string? SepToken { get; init; }

    /// <summary>mask_token (BERT's [MASK]).</summary>
    public string? MaskToken { get; init; }

    /// <summary>Reads tokenizer_config.json.</summary>
    public static TokenizerConfig ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerException($"{path}: cannot read the tokenizer config: {e.Message}", e);
        }
        using JsonDocument document = TokenizerJsonReader.Parse(bytes, path);
        var root = new JsonNode(document.RootElement, "", path);
        if (root.Element.ValueKind != JsonValueKind.Object) throw root.Error("expected a JSON object at the top level");
        return new TokenizerConfig(TokenName(root, "bos_token"), TokenName(root, "eos_token"), TokenName(root, "unk_token"),
            TokenName(root, "pad_token"), root.Bool("clean_up_tokenization_spaces", false), root.OptionalString("tokenizer_class"),
            root.Optional("add_prefix_space")?.AsBool(), root.Optional("legacy")?.AsBool(), root.Optional("add_bos_token")?.AsBool(),
            root.Optional("add_eos_token")?.AsBool())
        {
            ClsToken = TokenName(root, "cls_token"),
            SepToken = TokenName(root, "sep_token"),
            MaskToken = TokenName(root, "mask_token"),
        };
    }

    // A special token is written as "text" or as {"content": "text", …}.
    private static string? TokenName(JsonNode root, string field)
    {
        if (root.Optional(field) is not { } node) return null;
        return node.Element.ValueKind == JsonValueKind.Object ? node.String("content") : node.AsString();
    }
}
