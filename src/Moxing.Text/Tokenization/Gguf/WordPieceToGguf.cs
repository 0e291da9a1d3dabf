using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// The tokenizer.ggml.* keys convert_hf_to_gguf.py's BertModel writes for a WordPiece tokenizer.json: model "bert", tokens in
/// llama.cpp's phantom-space spelling (word starts "▁word", continuations "##word" → "word", control tokens as they are), token
/// types (special added tokens control, other added ones user-defined), and gguf-py SpecialVocab's ids (bos/cls, eos/sep, unk,
/// pad, mask) and add_bos/add_eos/add_sep flags read from a TemplateProcessing post-processor.
/// </summary>
public static class WordPieceToGguf
{
    /// <summary>True when <paramref name="folder"/>'s tokenizer.json is a WordPiece tokenizer.</summary>
    public static bool IsWordPiece(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) return false;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(path), path);
        return new JsonNode(document.RootElement, "", path).Optional("model")?.OptionalString("type") == "WordPiece";
    }

    /// <summary>The keys for the WordPiece tokenizer of <paramref name="folder"/>, padded to <paramref name="vocabSize"/> embedding rows.</summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(string folder, int vocabSize, int tokenTypeCount)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerException($"{folder}: no tokenizer.json to convert");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.ReadFile(configPath) : null;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(path), path);
        var root = new JsonNode(document.RootElement, "", path);
        var model = root.Required("model");
        if (model.OptionalString("type") != "WordPiece") throw model.Error($"is {model.OptionalString("type") ?? "untyped"}, not WordPiece");

        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        foreach (var entry in model.Required("vocab").Element.EnumerateObject())
        {
            var id = entry.Value.GetInt32();
            if (id < 0 || id >= vocabSize) throw new TokenizerException($"{path}: token '{entry.Name}' has id {id}, outside the model's {vocabSize} embeddings");
            (tokens[id], types[id]) = (entry.Name, GgufTokenType.Normal);
        }
        foreach (var (id, content, special) in HfTokenizerToGguf.AddedTokens(root))
        {
            if (id >= vocabSize) throw new TokenizerException($"{path}: added token '{content}' has id {id}, outside the model's {vocabSize} embeddings");
            tokens[id] = content;
            types[id] = special || HfTokenizerToGguf.LooksSpecial(content) ? GgufTokenType.Control : GgufTokenType.UserDefined;
        }
        for (var i = 0; i < vocabSize; i++)
            if (tokens[i] == null) (tokens[i], types[i]) = ($"[PAD{i}]", GgufTokenType.Unused);
        var phantom = tokens.Select((t, i) => types[i] == GgufTokenType.Control ? t! : t!.StartsWith("##", StringComparison.Ordinal) ? t[2..] : "\u2581" + t).ToArray();

        var keys = new List<KeyValuePair<string, object>>
        {
            new("tokenizer.ggml.token_type_count", (uint)tokenTypeCount),
            new("tokenizer.ggml.model", "bert"),
            // the converter names the pre-tokenizer by a hash of known checkpoints' output; llama.cpp ignores it for WordPiece
            new("tokenizer.ggml.pre", "default"),
            new("tokenizer.ggml.tokens", phantom),
            new("tokenizer.ggml.token_type", types),
        };
        AddSpecialTokens(keys, root, config, tokens!);
        return keys;
    }

    // gguf-py's SpecialVocab for a BERT tokenizer: [CLS] stands for bos and [SEP] for eos when tokenizer_config.json names none;
    // a single template "[CLS] $A [SEP]" adds bos and eos; the pair template adds sep only when a separator stands between A and B
    // that the single template does not already end with.
    private static void AddSpecialTokens(List<KeyValuePair<string, object>> keys, JsonNode root, TokenizerConfig? config, string[] tokens)
    {
        string? bos = config?.BosToken ?? config?.ClsToken, eos = config?.EosToken ?? config?.SepToken;
        string? cls = config?.ClsToken, sep = config?.SepToken;
        int? Id(string? text) => text == null ? null : Array.IndexOf(tokens, text) is var i && i >= 0 ? i : null;
        foreach (var (key, text) in new[] { ("bos", bos), ("eos", eos), ("unknown", config?.UnkToken), ("seperator", sep), ("padding", config?.PadToken), ("cls", cls), ("mask", config?.MaskToken) })
            if (Id(text) is { } id) keys.Add(new($"tokenizer.ggml.{key}_token_id", (uint)id));
        if (root.Optional("post_processor") is not { } post || post.Type() != "TemplateProcessing") return;
        var single = post.Optional("single")?.Items().ToList() ?? [];
        string? Special(JsonNode item) => item.Optional("SpecialToken")?.String("id");
        string? first = single.Count > 1 ? Special(single[0]) : null, last = single.Count > 1 ? Special(single[^1]) : null;
        if (first != null) keys.Add(new("tokenizer.ggml.add_bos_token", first == bos || first == cls));
        if (last != null) keys.Add(new("tokenizer.ggml.add_eos_token", last == eos));
        var pair = post.Optional("pair")?.Items().ToList() ?? [];
        var start = first != null && pair.Count > 0 && Special(pair[0]) == first ? 1 : 0;
        var stop = last != null && pair.Count > 0 && Special(pair[^1]) == last ? pair.Count - 1 : pair.Count;
        var middle = pair.Skip(start).Take(Math.Max(stop - start, 0)).ToList();
        if (middle.Count < 3 || middle[0].Optional("Sequence") == null || middle[^1].Optional("Sequence") == null) return;
        var separators = middle.Skip(1).Take(middle.Count - 2).Select(Special).ToList();
        var addSep = separators.Count > 0 && separators[0] is { } s0 && (s0 == sep || s0 == eos) && last == null
            || separators.Count == 2 && separators[1] is { } s1 && (s1 == sep || s1 == eos);
        keys.Add(new("tokenizer.ggml.add_sep_token", addSep));
    }
}
