using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// The tokens, scores and token types convert_hf_to_gguf.py writes for a SentencePiece tokenizer ("llama" in GGUF).
/// The pieces come from tokenizer.model when the folder has one (as the converter reads them), else from a tokenizer.json
/// whose model is SentencePiece's: Unigram pieces keep their scores; a byte-fallback BPE scores each token by the rank of
/// the first merge that makes it (−rank), so llama.cpp's highest-score-first merging replays the BPE. Added tokens are
/// then laid over as the converter does for the architecture.
/// </summary>
internal static partial class SentencePieceToGguf
{
    private const float AddedScore = -1000f, PaddingScore = -10000f;

    /// <summary>The vocabulary as GGUF arrays, one entry per embedding row.</summary>
    public sealed record Vocabulary(string[] Tokens, float[] Scores, int[] Types);

    /// <summary>True when a tokenizer.json model is SentencePiece's (byte-fallback BPE or Unigram) rather than byte-level BPE.</summary>
    public static bool IsSentencePiece(JsonNode model) => model.OptionalString("type") switch
    {
        "BPE" => model.Bool("byte_fallback", false),
        "Unigram" => true,
        _ => false,
    };

    /// <summary>
    /// The vocabulary of <paramref name="folder"/> (tokenizer.json parsed as <paramref name="root"/>, when present) for
    /// <paramref name="vocabSize"/> embedding rows; <paramref name="phi3"/> selects Phi3MiniModel's added-token rules.
    /// </summary>
    public static Vocabulary Build(string folder, JsonNode? root, int vocabSize, bool phi3)
    {
        var vocabulary = new Vocabulary(
            [.. Enumerable.Range(0, vocabSize).Select(i => $"[PAD{i}]")], [.. Enumerable.Repeat(PaddingScore, vocabSize)],
            [.. Enumerable.Repeat(GgufTokenType.Unused, vocabSize)]);
        var modelPath = Path.Combine(folder, "tokenizer.model");
        if (File.Exists(modelPath)) FromModelFile(modelPath, vocabulary);
        else if (root is { } r && r.Required("model") is var model && IsSentencePiece(model)) FromTokenizerJson(r, model, vocabulary);
        else throw new TokenizerException($"{folder}: a SentencePiece tokenizer is needed (tokenizer.model, or a tokenizer.json with a byte-fallback BPE or Unigram model)");
        AddAddedTokens(folder, root, vocabulary, phi3);
        return vocabulary;
    }

    // As the converter asks SentencePieceProcessor: unknown, control, unused and byte pieces keep their type, others
    // (user-defined included) are normal; pieces beyond the embeddings are dropped.
    private static void FromModelFile(string path, Vocabulary v)
    {
        var pieces = SentencePieceModelReader.ReadFile(path);
        for (var id = 0; id < Math.Min(pieces.Count, v.Tokens.Length); id++)
        {
            var piece = pieces[id];
            v.Tokens[id] = piece.Piece;
            v.Scores[id] = piece.Score;
            v.Types[id] = piece.Type is GgufTokenType.Unknown or GgufTokenType.Control or GgufTokenType.Unused or GgufTokenType.Byte ? piece.Type : GgufTokenType.Normal;
        }
    }

    private static void FromTokenizerJson(JsonNode root, JsonNode model, Vocabulary v)
    {
        var n = v.Tokens.Length;
        var byteFallback = model.Bool("byte_fallback", false);
        int? unknown;
        if (model.String("type") == "Unigram")
        {
            var id = 0;
            foreach (var item in model.Required("vocab").Items())
            {
                if (id >= n) break;
                var pair = item.Items().ToArray();
                if (pair.Length != 2) throw item.Error("expected [piece, score]");
                Set(v, id++, pair[0].AsString(), (float)pair[1].AsDouble(), GgufTokenType.Normal);
            }
            unknown = model.Optional("unk_id")?.AsIndex();
        }
        else
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var vocab = model.Required("vocab");
            foreach (var entry in vocab.Element.EnumerateObject())
            {
                var id = new JsonNode(entry.Value, $"{vocab.Path}.{entry.Name}", vocab.Source).AsIndex();
                ids[entry.Name] = id;
                if (id < n) Set(v, id, entry.Name, 0, GgufTokenType.Normal);
            }
            ScoreByMergeRank(model, ids, v);
            unknown = model.OptionalString("unk_token") is { } unk && ids.TryGetValue(unk, out var u) ? u : null;
        }
        for (var id = 0; id < n; id++)
            if (byteFallback && v.Types[id] == GgufTokenType.Normal && BytePiece().IsMatch(v.Tokens[id])) (v.Scores[id], v.Types[id]) = (0, GgufTokenType.Byte);
        if (unknown is { } k && k < n) (v.Scores[k], v.Types[k]) = (0, GgufTokenType.Unknown);
        foreach (var (id, content, special) in HfTokenizerToGguf.AddedTokens(root))
            if (id < n) Set(v, id, content, AddedScore, special ? GgufTokenType.Control : GgufTokenType.UserDefined);
    }

    // Tokens no merge makes (single characters) score below every merged one.
    private static void ScoreByMergeRank(JsonNode model, Dictionary<string, int> ids, Vocabulary v)
    {
        var merges = model.Optional("merges")?.Items().ToArray() ?? [];
        for (var id = 0; id < v.Tokens.Length; id++)
            if (v.Types[id] == GgufTokenType.Normal) v.Scores[id] = -merges.Length;
        for (var rank = merges.Length - 1; rank >= 0; rank--)
        {
            var (left, right) = MergePair(merges[rank]);
            if (ids.TryGetValue(left + right, out var id) && id >= 0 && id < v.Tokens.Length) v.Scores[id] = -rank;
        }
    }

    private static (string Left, string Right) MergePair(JsonNode merge)
    {
        if (merge.Element.ValueKind != JsonValueKind.String)
            return merge.Items().Select(p => p.AsString()).ToArray() is [var l, var r] ? (l, r) : throw merge.Error("expected two parts");
        var text = merge.AsString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 ? (text[..space], text[(space + 1)..]) : throw merge.Error($"'{text}' is not \"left right\"");
    }

    // _create_vocab_sentencepiece (Llama, Gemma 2) or Phi3MiniModel.set_vocab: added_tokens.json, then tokenizer_config.json's
    // added_tokens_decoder (and, for Phi-3, tokenizer.json's added_tokens) overwrite their ids with score −1000.
    private static void AddAddedTokens(string folder, JsonNode? root, Vocabulary v, bool phi3)
    {
        var n = v.Tokens.Length;
        var addedPath = Path.Combine(folder, "added_tokens.json");
        if (File.Exists(addedPath))
        {
            using var added = TokenizerJsonReader.Parse(File.ReadAllBytes(addedPath), addedPath);
            if (added.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{addedPath}: expected an object of token → id");
            foreach (var entry in added.RootElement.EnumerateObject())
                if (new JsonNode(entry.Value, entry.Name, addedPath).AsIndex() is var id && id < n) Set(v, id, entry.Name, AddedScore, GgufTokenType.UserDefined);
        }
        var configPath = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var config = TokenizerJsonReader.Parse(File.ReadAllBytes(configPath), configPath);
            var configRoot = new JsonNode(config.RootElement, "", configPath);
            if (configRoot.Optional("added_tokens_decoder") is { } decoder)
                foreach (var entry in decoder.Element.EnumerateObject())
                {
                    var token = new JsonNode(entry.Value, $"{decoder.Path}.{entry.Name}", decoder.Source);
                    if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var id)) throw token.Error("the key is not a token id");
                    if (id >= n) continue;
                    var content = token.String("content");
                    var special = token.Bool("special", false);
                    if (phi3) Set(v, id, content, AddedScore, special ? GgufTokenType.Control : GgufTokenType.UserDefined);
                    else if (special || HfTokenizerToGguf.LooksSpecial(content)) Set(v, id, content, AddedScore, GgufTokenType.Control);
                    else Set(v, id, content.Replace('\u2581', ' '), AddedScore, GgufTokenType.UserDefined);
                }
        }
        if (phi3 && root is { } r)
            foreach (var (id, content, special) in HfTokenizerToGguf.AddedTokens(r))
                if (id < n) Set(v, id, content, AddedScore, special ? GgufTokenType.Control : GgufTokenType.UserDefined);
    }

    private static void Set(Vocabulary v, int id, string token, float score, int type) => (v.Tokens[id], v.Scores[id], v.Types[id]) = (token, score, type);

    [GeneratedRegex("^<0x[0-9A-Fa-f]{2}>$")]
    private static partial Regex BytePiece();
}
