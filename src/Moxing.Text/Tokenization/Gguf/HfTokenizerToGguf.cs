using System.Text.Json;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// The tokenizer.ggml.* keys llama.cpp's convert_hf_to_gguf.py writes for a Hugging Face folder with a byte-level BPE
/// tokenizer.json: tokens (padded to the model's vocabulary with [PADn], type unused), token types (added tokens are
/// control when special or shaped like &lt;|…|&gt;, else user-defined), merges, the pre-tokenizer name whose split
/// regexes equal tokenizer.json's, special-token ids (tokenizer_config.json names, else config.json ids), add_bos/add_eos
/// and the chat template.
/// </summary>
public static class HfTokenizerToGguf
{
    private const int TypeNormal = 1, TypeControl = 3, TypeUserDefined = 4, TypeUnused = 5;
    private const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    // The names convert_hf_to_gguf.py writes for the common tokenizers, tried before the other aliases of the same splits.
    private static readonly string[] PreferredNames = ["gpt-2", "llama-bpe", "qwen2", "qwen35", "tekken", "gpt-4o", "smollm", "starcoder", "deepseek-v3"];

    /// <summary>
    /// The keys for the tokenizer in <paramref name="folder"/>, for a model with <paramref name="vocabSize"/> embedding rows;
    /// <paramref name="configIds"/> holds config.json's bos/eos/pad/unk_token_id values (used where tokenizer_config.json names none).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(string folder, int vocabSize, IReadOnlyDictionary<string, int> configIds)
    {
        var path = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(path)) throw new TokenizerException($"{folder}: no tokenizer.json to convert");
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        var config = File.Exists(configPath) ? TokenizerConfig.ReadFile(configPath) : null;
        using var document = TokenizerJsonReader.Parse(File.ReadAllBytes(path), path);
        var root = new JsonNode(document.RootElement, "", path);
        var model = root.Required("model");
        if (model.OptionalString("type") is not "BPE" || model.Optional("vocab") is not { } vocabNode || root.Optional("pre_tokenizer") is null)
            throw new TokenizerException($"{path}: only byte-level BPE tokenizers (Llama 3, Qwen, GPT-2, Mistral Nemo …) can be converted; this one is {model.OptionalString("type") ?? "untyped"}");

        var tokens = new string?[vocabSize];
        var types = new int[vocabSize];
        foreach (var entry in vocabNode.Element.EnumerateObject())
        {
            var id = entry.Value.GetInt32();
            if (id < 0 || id >= vocabSize) throw new TokenizerException($"{path}: token '{entry.Name}' has id {id}, outside the model's {vocabSize} embeddings");
            (tokens[id], types[id]) = (entry.Name, TypeNormal);
        }
        var added = new List<(int Id, string Content)>();
        if (root.Optional("added_tokens") is { } addedNode)
            foreach (var token in addedNode.Items())
            {
                var id = token.Required("id").AsIndex();
                var content = token.String("content");
                if (id >= vocabSize) throw token.Error($"id {id} is outside the model's {vocabSize} embeddings");
                tokens[id] = content;
                types[id] = token.Bool("special", false) || LooksSpecial(content) ? TypeControl : TypeUserDefined;
                added.Add((id, content));
            }
        for (var i = 0; i < vocabSize; i++)
            if (tokens[i] == null) (tokens[i], types[i]) = ($"[PAD{i}]", TypeUnused);

        var keys = new List<KeyValuePair<string, object>>
        {
            new("tokenizer.ggml.model", "gpt2"),
            new("tokenizer.ggml.pre", PreName(root, model, config, path)),
            new("tokenizer.ggml.tokens", tokens.Cast<string>().ToArray()),
            new("tokenizer.ggml.token_type", types),
            new("tokenizer.ggml.merges", Merges(model)),
        };
        AddSpecialTokens(keys, root, config, configIds, added, vocabSize);
        if (ChatTemplate(folder) is { } template) keys.Add(new("tokenizer.chat_template", template));
        return keys;
    }

    // convert_hf_to_gguf.py's does_token_look_special.
    private static bool LooksSpecial(string token) =>
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
                patterns.Add(pattern.Optional("Regex")?.AsString() ?? System.Text.RegularExpressions.Regex.Escape(pattern.String("String")));
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

    // gguf-py's SpecialVocab: ids of the tokens tokenizer_config.json names (looked up among the added tokens), else
    // config.json's *_token_id; add_bos/add_eos from a TemplateProcessing post-processor, overridden by tokenizer_config.json.
    private static void AddSpecialTokens(List<KeyValuePair<string, object>> keys, JsonNode root, TokenizerConfig? config,
        IReadOnlyDictionary<string, int> configIds, List<(int Id, string Content)> added, int vocabSize)
    {
        int? Named(string? text) => text == null ? null : added.FirstOrDefault(t => t.Content == text) is { Content: not null } t ? t.Id : null;
        int? FromConfig(string kind) => configIds.TryGetValue(kind, out var id) && id >= 0 && id < vocabSize ? id : null;
        (string Kind, string Key, int? Id)[] specials =
        [
            ("bos", "bos_token_id", config != null ? Named(config.BosToken) : null),
            ("eos", "eos_token_id", config != null ? Named(config.EosToken) : null),
            ("unk", "unknown_token_id", config != null ? Named(config.UnkToken) : null),
            ("pad", "padding_token_id", config != null ? Named(config.PadToken) : null),
        ];
        foreach (var (kind, key, id) in specials)
            if ((id ?? FromConfig(kind)) is { } value) keys.Add(new($"tokenizer.ggml.{key}", (uint)value));

        bool? addBos = null, addEos = null;
        if (root.Optional("post_processor") is { } post && post.Type() == "TemplateProcessing" && post.Optional("single") is { } single && single.Count > 1)
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
