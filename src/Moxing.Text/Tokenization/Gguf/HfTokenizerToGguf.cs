using System.Text.Json;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// The tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face folder. Byte-level BPE
/// (tokenizer.json): tokens padded to the model's vocabulary with [PADn] (type unused), token types (added tokens are
/// control when special or shaped like &lt;|…|&gt;, else user-defined), merges and the pre-tokenizer name whose split
/// regexes equal tokenizer.json's. SentencePiece (Llama 2, Mistral v0.1, Phi-3, Gemma 2; see <see cref="SentencePieceToGguf"/>):
/// model "llama" with tokens, scores and token types. Both: special-token ids (tokenizer_config.json names, else
/// config.json ids), add_bos/add_eos and the chat template.
/// </summary>
public static class HfTokenizerToGguf
{
    private const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // The names convert_hf_to_gguf.py writes for the common tokenizers, tried before the other aliases of the same splits.
    // BLOOM's tokenizer.json split, a class nested in its class, which llama.cpp's bloom spells as one flat class of the same members.
    private const string BloomSplit = @" ?[^(\s|[.,!?…。，、।۔،])]+";

    private static readonly string[] PreferredNames = ["gpt-2", "llama-bpe", "qwen2", "qwen35", "tekken", "gpt-4o", "smollm", "starcoder", "deepseek-v3"];

    /// <summary>
    /// The keys for the tokenizer in <paramref name="folder"/>, for a model of GGUF architecture <paramref name="architecture"/>
    /// with <paramref name="vocabSize"/> embedding rows; <paramref name="configIds"/> holds config.json's bos/eos/pad/unk_token_id
    /// values (used where tokenizer_config.json names none).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(string folder, int vocabSize, IReadOnlyDictionary<string, int> configIds,
        string architecture)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.ReadFile(configPath) : null;
        using var document = File.Exists(path) ? TokenizerJsonReader.Parse(File.ReadAllBytes(path), path) : null;
        JsonNode? root = document is null ? null : new JsonNode(document.RootElement, "", path);
        var keys = new List<KeyValuePair<string, object>>();
        // LlamaModel.set_vocab and Ernie4_5Model.set_vocab write add_prefix_space whatever the tokenizer; Gemma 2's SentencePiece adds no space.
        if (architecture is "llama" or "arcee" or "mistral3" or "apertus" or "ernie4_5" or "ernie4_5-moe" && config?.AddPrefixSpace is { } prefix) keys.Add(new("tokenizer.ggml.add_space_prefix", prefix));
        if (architecture is "gemma" or "gemma2") keys.Add(new("tokenizer.ggml.add_space_prefix", false));
        // GemmaModel.set_vocab marks CodeGemma's <end_of_turn> (id 107) as end of turn for every Gemma; its FIM ids have no key.
        if (architecture == "gemma" && vocabSize > GemmaEndOfTurn) keys.Add(new("tokenizer.ggml.eot_token_id", (uint)GemmaEndOfTurn));
        if (UsesSentencePiece(folder, root, config, architecture))
        {
            // Gemma3Model.set_vocab: its SentencePiece adds no space either (only then).
            if (architecture == "gemma3") keys.Add(new("tokenizer.ggml.add_space_prefix", false));
            var vocabulary = SentencePieceToGguf.Build(folder, root, vocabSize, phi3: architecture == "phi3");
            keys.Add(new("tokenizer.ggml.model", "llama"));
            keys.Add(new("tokenizer.ggml.pre", "default"));
            keys.Add(new("tokenizer.ggml.tokens", vocabulary.Tokens));
            keys.Add(new("tokenizer.ggml.scores", vocabulary.Scores));
            keys.Add(new("tokenizer.ggml.token_type", vocabulary.Types));
        }
        else
        {
            keys.AddRange(ByteLevelKeys(root ?? throw new TokenizerException($"{folder}: no tokenizer.json to convert"), config, vocabSize, path));
        }
        AddSpecialTokens(keys, root, config, configIds, vocabSize);
        // NemotronModel.set_vocab sets padding 0 and unknown 1 after the tokenizer's own (the later key wins).
        if (architecture == "nemotron")
        {
            keys.Add(new("tokenizer.ggml.padding_token_id", 0u));
            keys.Add(new("tokenizer.ggml.unknown_token_id", 1u));
        }
        if (architecture is "glm4" or "chatglm") keys.AddRange(GlmSpecialTokens(root, architecture == "glm4"));
        if (ChatTemplate(folder) is { } template) keys.Add(new("tokenizer.chat_template", template));
        return keys;
    }

    private const int GemmaEndOfTurn = 107;

    // Glm4Model.set_vocab and ChatGLMModel.set_vocab: <|endoftext|> as end and unknown token (GLM-4's as beginning token too),
    // <|user|> as end of turn (after the tokenizer's own).
    private static IEnumerable<KeyValuePair<string, object>> GlmSpecialTokens(JsonNode? root, bool bos)
    {
        var added = AddedTokens(root).GroupBy(t => t.Content).ToDictionary(g => g.Key, g => (uint)g.First().Id);
        if (added.TryGetValue("<|endoftext|>", out var end))
            foreach (var kind in bos ? new[] { "eos", "unknown", "bos" } : ["eos", "unknown"]) yield return new($"tokenizer.ggml.{kind}_token_id", end);
        if (added.TryGetValue("<|user|>", out var user)) yield return new("tokenizer.ggml.eot_token_id", user);
    }

    // As the converter picks the vocabulary: Llama/Mistral read tokenizer.model, else a SentencePiece tokenizer.json, else
    // byte-level BPE; Phi-3 is SentencePiece unless tokenizer_config.json names GPT2Tokenizer (Phi-4); Gemma 2 always is, Gemma 3
    // when it ships tokenizer.model, Nemotron, MiniCPM and ERNIE 4.5 when they do.
    private static bool UsesSentencePiece(string folder, JsonNode? root, TokenizerConfig? config, string architecture) => architecture switch
    {
        "llama" or "arcee" or "mistral3" or "apertus" => File.Exists(Path.Combine(folder, "tokenizer.model")) || (root?.Optional("model") is { } model && SentencePieceToGguf.IsSentencePiece(model)),
        "phi3" => config?.TokenizerClass != "GPT2Tokenizer",
        "gemma" or "gemma2" => true,
        // NemotronModel, MiniCPMModel and Ernie4_5Model call _set_vocab_sentencepiece, which reads tokenizer.model.
        "gemma3" or "nemotron" or "minicpm" or "ernie4_5" or "ernie4_5-moe" => File.Exists(Path.Combine(folder, "tokenizer.model")),
        _ => false,
    };

    private static List<KeyValuePair<string, object>> ByteLevelKeys(JsonNode root, TokenizerConfig? config, int vocabSize, string path)
    {
        var model = root.Required("model");
        if (model.OptionalString("type") is not "BPE" || model.Optional("vocab") is not { } vocabNode || root.Optional("pre_tokenizer") is null)
            throw new TokenizerException($"{path}: only byte-level BPE and SentencePiece tokenizers (Llama, Qwen, GPT-2, Mistral, Phi-3, Gemma 2 …) can be converted; this one is {model.OptionalString("type") ?? "untyped"}");

        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        foreach (var entry in vocabNode.Element.EnumerateObject())
        {
            var id = entry.Value.GetInt32();
            if (id < 0 || id >= vocabSize) throw new TokenizerException($"{path}: token '{entry.Name}' has id {id}, outside the model's {vocabSize} embeddings");
            (tokens[id], types[id]) = (entry.Name, GgufTokenType.Normal);
        }
        foreach (var (id, content, special) in AddedTokens(root))
        {
            if (id >= vocabSize) throw new TokenizerException($"{path}: added token '{content}' has id {id}, outside the model's {vocabSize} embeddings");
            tokens[id] = content;
            types[id] = special || LooksSpecial(content) ? GgufTokenType.Control : GgufTokenType.UserDefined;
        }
        for (var i = 0; i < vocabSize; i++)
            if (tokens[i] == null) (tokens[i], types[i]) = ($"[PAD{i}]", GgufTokenType.Unused);

        return
        [
            new("tokenizer.ggml.model", "gpt2"),
            new("tokenizer.ggml.pre", PreName(root, model, config, path)),
            new("tokenizer.ggml.tokens", tokens.Cast<string>().ToArray()),
            new("tokenizer.ggml.token_type", types),
            new("tokenizer.ggml.merges", Merges(model)),
        ];
    }

    /// <summary>tokenizer.json's added_tokens: id, content and whether it is special.</summary>
    internal static IEnumerable<(int Id, string Content, bool Special)> AddedTokens(JsonNode? root)
    {
        if (root?.Optional("added_tokens") is not { } added) yield break;
        foreach (var token in added.Items()) yield return (token.Required("id").AsIndex(), token.String("content"), token.Bool("special", false));
    }

    /// <summary>convert_hf_to_gguf.py's does_token_look_special.</summary>
    internal static bool LooksSpecial(string token) =>
        token is "<pad>" or "<mask>" or "<2mass>" or "[@BOS@]"
        || (token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal))
        || (token.StartsWith("<｜", StringComparison.Ordinal) && token.EndsWith("｜>", StringComparison.Ordinal))
        || (token.StartsWith("<unused", StringComparison.Ordinal) && token.EndsWith('>'));

    // Merges are "left right"; a space inside a part is written as U+0120-style shifted character, as gguf-py does.
    private static string[] Merges(JsonNode model)
    {
        if (model.Optional("merges") is not { } merges) return [];
        return merges.Items().Select(m => m.Element.ValueKind == JsonValueKind.String
            ? m.AsString()
            : string.Join(' ', m.Items().Select(part => string.Concat(part.AsString().Select(c => c == ' ' ? (char)(c + 256) : c))))).ToArray();
    }

    private static string PreName(JsonNode root, JsonNode model, TokenizerConfig? config, string path)
    {
        var patterns = new List<string>();
        var usesByteLevelRegex = false;
        CollectSplits(root.Required("pre_tokenizer"), patterns, ref usesByteLevelRegex);
        if (usesByteLevelRegex) patterns.Add(Gpt2Regex);
        var nfc = root.Optional("normalizer") is { } n && HasNfc(n);
        var ignoreMerges = model.Bool("ignore_merges", false);
        var candidates = GgufPreTokenizer.Names
            .Where(name => GgufPreTokenizer.For(name) is { } pre && pre.Patterns.SequenceEqual(patterns) && pre.Nfc == nfc && pre.IgnoreMerges == ignoreMerges)
            .OrderBy(name => GgufPreTokenizer.For(name)!.CleanSpaces == (config?.CleanUpTokenizationSpaces ?? false) ? 0 : 1)
            .ThenBy(name => Array.IndexOf(PreferredNames, name) is var i && i >= 0 ? i : PreferredNames.Length)
            .ToList();
        return candidates.Count > 0
            ? candidates[0]
            : throw new TokenizerException($"{path}: the pre-tokenizer's split patterns ({string.Join(" | ", patterns)}) match no pre-tokenizer llama.cpp knows");
    }

    private static void CollectSplits(JsonNode node, List<string> patterns, ref bool byteLevelRegex)
    {
        switch (node.Type())
        {
            case "Sequence":
                foreach (var child in node.Required("pretokenizers").Items()) CollectSplits(child, patterns, ref byteLevelRegex);
                break;
            case "Split":
                var pattern = node.Required("pattern");
                var split = pattern.Optional("Regex")?.AsString() ?? System.Text.RegularExpressions.Regex.Escape(pattern.String("String"));
                patterns.Add(split == BloomSplit ? GgufPreTokenizer.For("bloom")!.Patterns[0] : split);
                break;
            case "ByteLevel":
                byteLevelRegex |= node.Bool("use_regex", true);
                break;
            default:
                throw node.Error($"pre-tokenizer '{node.Type()}' has no llama.cpp equivalent");
        }
    }

    private static bool HasNfc(JsonNode normalizer) => normalizer.Type() switch
    {
        "NFC" => true,
        "Sequence" => normalizer.Required("normalizers").Items().Any(HasNfc),
        _ => false,
    };

    // gguf-py's SpecialVocab: ids of the tokens tokenizer_config.json names (looked up among tokenizer.json's added tokens), else
    // config.json's *_token_id, ids outside the vocabulary skipped; add_bos/add_eos from a TemplateProcessing or RobertaProcessing
    // post-processor, overridden by tokenizer_config.json.
    private static void AddSpecialTokens(List<KeyValuePair<string, object>> keys, JsonNode? root, TokenizerConfig? config,
        IReadOnlyDictionary<string, int> configIds, int vocabSize)
    {
        var added = AddedTokens(root).ToList();
        int? Valid(int? id) => id is { } value && value >= 0 && value < vocabSize ? value : null;
        int? Named(string? text) => text == null ? null : Valid(added.FirstOrDefault(t => t.Content == text) is { Content: not null } t ? t.Id : null);
        int? FromConfig(string kind) => Valid(configIds.TryGetValue(kind, out var id) ? id : null);
        (string Kind, string Key, int? Id)[] specials =
        [
            ("bos", "bos_token_id", Named(config?.BosToken)),
            ("eos", "eos_token_id", Named(config?.EosToken)),
            ("unk", "unknown_token_id", Named(config?.UnkToken)),
            ("pad", "padding_token_id", Named(config?.PadToken)),
        ];
        foreach (var (kind, key, id) in specials)
            if ((id ?? FromConfig(kind)) is { } value) keys.Add(new($"tokenizer.ggml.{key}", (uint)value));

        bool? addBos = null, addEos = null;
        // RobertaProcessing wraps every input in bos … eos (and sep between pairs)
        if (root?.Optional("post_processor") is { } roberta && roberta.Type() == "RobertaProcessing")
        {
            (addBos, addEos) = (true, true);
            keys.Add(new("tokenizer.ggml.add_sep_token", true));
        }
        if (root?.Optional("post_processor") is { } post && post.Type() == "TemplateProcessing" && post.Optional("single") is { } single && single.Count > 1)
        {
            var items = single.Items().ToList();
            if (items[0].Optional("SpecialToken") is { } first) addBos = first.String("id") == config?.BosToken;
            if (items[^1].Optional("SpecialToken") is { } last) addEos = last.String("id") == config?.EosToken;
        }
        addBos = config?.AddBosToken ?? addBos;
        addEos = config?.AddEosToken ?? addEos;
        if (addBos is { } b) keys.Add(new("tokenizer.ggml.add_bos_token", b));
        if (addEos is { } e) keys.Add(new("tokenizer.ggml.add_eos_token", e));
    }

    // chat_template.jinja wins over tokenizer_config.json's chat_template string, as in transformers.
    private static string? ChatTemplate(string folder)
    {
        var jinja = Path.Combine(folder, "chat_template.jinja");
        if (File.Exists(jinja)) return File.ReadAllText(jinja);
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(configPath)) return null;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(configPath), configPath);
        return document.RootElement.TryGetProperty("chat_template", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
    }
}
