using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// The tokenizer.ggml.* keys convert_hf_to_gguf.py writes for an encoder's tokenizer.json. WordPiece (BertModel.set_vocab):
/// model "bert", tokens in llama.cpp's phantom-space spelling (word starts "▁word", continuations "##word" → "word", control
/// tokens as they are). Unigram (XLM-RoBERTa's _xlmroberta_set_vocab): model "t5" with the pieces' scores, the precompiled
/// charsmap and the Metaspace prefix flag. Both: token types (unknown; special added tokens control; other added ones
/// user-defined), padding rows up to the embedding, gguf-py SpecialVocab's ids (bos/cls, eos/sep, unk, pad, mask) and
/// add_bos/add_eos/add_sep flags from a TemplateProcessing or RobertaProcessing post-processor.
/// </summary>
public static class EncoderTokenizerToGguf
{
    /// <summary>The type of <paramref name="folder"/>'s tokenizer.json model (WordPiece, Unigram, BPE …), or null without one.</summary>
    public static string? ModelType(string folder)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) return null;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(path), path);
        return new JsonNode(document.RootElement, "", path).Optional("model")?.OptionalString("type");
    }

    /// <summary>The keys for the WordPiece or Unigram tokenizer of <paramref name="folder"/>, padded to <paramref name="vocabSize"/> embedding rows.</summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(string folder, int vocabSize, int tokenTypeCount)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerException($"{folder}: no tokenizer.json to convert");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.ReadFile(configPath) : null;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(path), path);
        var root = new JsonNode(document.RootElement, "", path);
        var model = root.Required("model");
        var keys = new List<KeyValuePair<string, object>> { new("tokenizer.ggml.token_type_count", (uint)tokenTypeCount) };
        string[] tokens;
        switch (model.OptionalString("type"))
        {
            case "WordPiece":
                tokens = WordPiece(root, model, vocabSize, keys, path);
                break;
            case "Unigram":
                tokens = Unigram(root, model, vocabSize, config, keys, path);
                break;
            default:
                throw model.Error($"is {model.OptionalString("type") ?? "untyped"}; an encoder's tokenizer converts from WordPiece or Unigram");
        }
        AddSpecialTokens(keys, root, config, tokens);
        return keys;
    }

    private static string[] WordPiece(JsonNode root, JsonNode model, int vocabSize, List<KeyValuePair<string, object>> keys, string path)
    {
        var (tokens, types) = (new string?[vocabSize], new int[vocabSize]);
        foreach (var entry in model.Required("vocab").Element.EnumerateObject())
            Place(tokens, types, entry.Value.GetInt32(), entry.Name, GgufTokenType.Normal, path);
        var filled = Finish(root, tokens, types, path);
        var phantom = filled.Select((t, i) => types[i] == GgufTokenType.Control ? t : t.StartsWith("##", StringComparison.Ordinal) ? t[2..] : "\u2581" + t).ToArray();
        keys.Add(new("tokenizer.ggml.model", "bert"));
        // the converter names the pre-tokenizer by a hash of known checkpoints' output; llama.cpp ignores it for WordPiece
        keys.Add(new("tokenizer.ggml.pre", "default"));
        keys.Add(new("tokenizer.ggml.tokens", phantom));
        keys.Add(new("tokenizer.ggml.token_type", types));
        return filled;
    }

    private static string[] Unigram(JsonNode root, JsonNode model, int vocabSize, TokenizerConfig? config, List<KeyValuePair<string, object>> keys, string path)
    {
        var (tokens, types) = (new string?[vocabSize], new int[vocabSize]);
        var scores = Enumerable.Repeat(-10000f, vocabSize).ToArray();
        var unk = model.Index("unk_id", 3);
        var id = 0;
        foreach (var piece in model.Required("vocab").Items())
        {
            var pair = piece.Items().ToArray();
            if (pair.Length != 2) throw piece.Error("expected [piece, score]");
            Place(tokens, types, id, pair[0].AsString(), id == unk ? GgufTokenType.Unknown : GgufTokenType.Normal, path);
            scores[id++] = (float)pair[1].AsDouble();
        }
        var filled = Finish(root, tokens, types, path);
        keys.Add(new("tokenizer.ggml.model", "t5"));
        keys.Add(new("tokenizer.ggml.pre", "default"));
        keys.Add(new("tokenizer.ggml.tokens", filled));
        keys.Add(new("tokenizer.ggml.scores", scores));
        keys.Add(new("tokenizer.ggml.token_type", types));
        // transformers' add_prefix_space follows the Metaspace pre-tokenizer; the converter writes clean_up_tokenization_spaces as remove_extra_whitespaces
        keys.Add(new("tokenizer.ggml.add_space_prefix", PrependsSpace(root.Optional("pre_tokenizer"))));
        keys.Add(new("tokenizer.ggml.remove_extra_whitespaces", config?.CleanUpTokenizationSpaces ?? false));
        if (root.Optional("normalizer")?.OptionalString("precompiled_charsmap") is { Length: > 0 } charsmap)
            keys.Add(new("tokenizer.ggml.precompiled_charsmap", Convert.FromBase64String(charsmap)));
        return filled;
    }

    private static bool PrependsSpace(JsonNode? pre) => pre?.OptionalString("type") switch
    {
        "Metaspace" => pre.Value.OptionalString("prepend_scheme") is null or "always" or "first" && pre.Value.Bool("add_prefix_space", true),
        "Sequence" => pre.Value.Required("pretokenizers").Items().Any(p => PrependsSpace(p)),
        _ => false,
    };

    private static void Place(string?[] tokens, int[] types, int id, string token, int type, string path)
    {
        if (id < 0 || id >= tokens.Length) throw new TokenizerException($"{path}: token '{token}' has id {id}, outside the model's {tokens.Length} embeddings");
        (tokens[id], types[id]) = (token, type);
    }

    // Added tokens over the vocabulary (special: control, else user-defined; the unknown token stays unknown), then [PADn] rows.
    private static string[] Finish(JsonNode root, string?[] tokens, int[] types, string path)
    {
        foreach (var (id, content, special) in HfTokenizerToGguf.AddedTokens(root))
        {
            if (id < tokens.Length && types[id] == GgufTokenType.Unknown && tokens[id] == content) continue;
            Place(tokens, types, id, content, special || HfTokenizerToGguf.LooksSpecial(content) ? GgufTokenType.Control : GgufTokenType.UserDefined, path);
        }
        for (var i = 0; i < tokens.Length; i++)
            if (tokens[i] == null) (tokens[i], types[i]) = ($"[PAD{i}]", GgufTokenType.Unused);
        return tokens!;
    }

    // gguf-py's SpecialVocab for an encoder's tokenizer: the cls token stands for bos and sep for eos when tokenizer_config.json
    // names none. RobertaProcessing adds bos, eos and sep; a single template "[CLS] $A [SEP]" adds bos and eos, and the pair
    // template adds sep only when a separator stands between A and B that the single template does not already end with.
    private static void AddSpecialTokens(List<KeyValuePair<string, object>> keys, JsonNode root, TokenizerConfig? config, string[] tokens)
    {
        string? bos = config?.BosToken ?? config?.ClsToken, eos = config?.EosToken ?? config?.SepToken;
        string? cls = config?.ClsToken, sep = config?.SepToken;
        int? Id(string? text) => text == null ? null : Array.IndexOf(tokens, text) is var i && i >= 0 ? i : null;
        foreach (var (key, text) in new[] { ("bos", bos), ("eos", eos), ("unknown", config?.UnkToken), ("seperator", sep), ("padding", config?.PadToken), ("cls", cls), ("mask", config?.MaskToken) })
            if (Id(text) is { } id) keys.Add(new($"tokenizer.ggml.{key}_token_id", (uint)id));
        if (root.Optional("post_processor") is not { } post) return;
        if (post.Type() == "RobertaProcessing")
        {
            keys.Add(new("tokenizer.ggml.add_bos_token", true));
            keys.Add(new("tokenizer.ggml.add_eos_token", true));
            keys.Add(new("tokenizer.ggml.add_sep_token", true));
            return;
        }
        if (post.Type() != "TemplateProcessing") return;
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
