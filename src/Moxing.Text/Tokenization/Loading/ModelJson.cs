using System.Text.Json;
using Moxing.Text.Tokenization.Models;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "model" section of tokenizer.json (BPE, WordPiece, WordLevel, Unigram).</summary>
internal static class ModelJson
{
    // Ids index arrays; real vocabularies stay far below this, a corrupt file must not allocate gigabytes.
    private const int MaxTokenId = 16_777_215;

    /// <summary>The model at <paramref name="node"/>.</summary>
    public static ITokenModel Read(JsonNode node)
    {
        string type = node.OptionalString("type") ?? InferType(node);
        return type switch
        {
            "BPE" => ReadBpe(node),
            "WordPiece" => new WordPieceModel(ReadVocabulary(node.Required("vocab")), node.OptionalString("unk_token") ?? "[UNK]",
                node.OptionalString("continuing_subword_prefix") ?? "##", node.Index("max_input_chars_per_word", 100)),
            "WordLevel" => new WordLevelModel(ReadVocabulary(node.Required("vocab")), node.OptionalString("unk_token") ?? "<unk>"),
            "Unigram" => ReadUnigram(node),
            _ => throw node.Required("type").Error($"unknown model type '{type}' (expected BPE, WordPiece, WordLevel or Unigram)"),
        };
    }

    /// <summary>Reads a token → id object.</summary>
    public static Vocabulary ReadVocabulary(JsonNode node)
    {
        if (node.Element.ValueKind != JsonValueKind.Object) throw node.Error($"expected an object of token → id, found {node.Element.ValueKind}");
        int count = 0;
        foreach (JsonProperty _ in node.Element.EnumerateObject()) count++;
        var ids = new Dictionary<string, int>(count, StringComparer.Ordinal);
        foreach (JsonProperty property in node.Element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int id) || id < 0 || id > MaxTokenId)
            {
                throw node.Error($"token '{property.Name}' has id {property.Value.GetRawText()}, expected an integer from 0 to {MaxTokenId}");
            }
            ids[property.Name] = id;
        }
        return new Vocabulary(ids);
    }

    private static string InferType(JsonNode node)
    {
        if (node.Optional("merges") is not null) return "BPE";
        if (node.Optional("vocab") is { } vocab && vocab.Element.ValueKind == JsonValueKind.Array) return "Unigram";
        if (node.Optional("continuing_subword_prefix") is not null) return "WordPiece";
        return "WordLevel";
    }

    private static BpeModel ReadBpe(JsonNode node)
    {
        Vocabulary vocabulary = ReadVocabulary(node.Required("vocab"));
        JsonNode mergesNode = node.Required("merges");
        if (mergesNode.Element.ValueKind != JsonValueKind.Array) throw mergesNode.Error($"expected an array, found {mergesNode.Element.ValueKind}");
        double? dropout = node.Optional("dropout")?.AsDouble();
        if (dropout is < 0 or > 1) throw node.Required("dropout").Error($"dropout must be between 0 and 1, found {dropout}");
        var options = new BpeOptions(node.OptionalString("unk_token"), node.OptionalString("continuing_subword_prefix"),
            node.OptionalString("end_of_word_suffix"), node.Bool("fuse_unk", false), node.Bool("byte_fallback", false),
            node.Bool("ignore_merges", false));
        var builder = new MergeTableBuilder(vocabulary, options.ContinuingSubwordPrefix, mergesNode.Count);
        var left = new JsonText();
        var right = new JsonText();
        int index = 0;
        // The merges are the bulk of the file: they are read as spans, without a JsonNode or a string per entry.
        foreach (JsonElement merge in mergesNode.Element.EnumerateArray())
        {
            string? problem = ReadMerge(merge, left, right, builder);
            if (problem is not null) throw new TokenizerException($"{mergesNode.Source}: field '{mergesNode.Path}[{index}]': {problem}");
            index++;
        }
        var map = builder.Build();
        return new BpeModel(vocabulary, map, options);
    }

    private static string? ReadMerge(JsonElement merge, JsonText left, JsonText right, MergeTableBuilder builder)
    {
        const string Expected = "expected \"left right\" or [left, right]";
        if (merge.ValueKind == JsonValueKind.Array)
        {
            if (merge.GetArrayLength() != 2 || !left.TryRead(merge[0], out var a) || !right.TryRead(merge[1], out var b)) return Expected;
            return builder.TryAdd(a, b);
        }
        if (!left.TryRead(merge, out var text)) return Expected;
        int space = text.IndexOf(' ');
        if (space < 0 || text[(space + 1)..].IndexOf(' ') >= 0) return $"{Expected}, found '{text}'";
        return builder.TryAdd(text[..space], text[(space + 1)..]);
    }

    private static UnigramModel ReadUnigram(JsonNode node)
    {
        JsonNode vocabNode = node.Required("vocab");
        var ids = new Dictionary<string, int>(vocabNode.Count, StringComparer.Ordinal);
        var scores = new double[vocabNode.Count];
        int id = 0;
        foreach (JsonElement entry in vocabNode.Element.EnumerateArray())
        {
            if (entry.ValueKind != JsonValueKind.Array || entry.GetArrayLength() != 2 || entry[0].ValueKind != JsonValueKind.String
                || entry[1].ValueKind != JsonValueKind.Number)
            {
                throw new TokenizerException($"{vocabNode.Source}: field '{vocabNode.Path}[{id}]': expected [piece, score], found {entry.GetRawText()}");
            }
            ids.TryAdd(entry[0].GetString()!, id);
            scores[id++] = entry[1].GetDouble();
        }
        int unkId = node.Optional("unk_id")?.AsIndex() ?? -1;
        if (unkId >= scores.Length) throw node.Required("unk_id").Error($"unk_id {unkId} is outside the vocabulary of {scores.Length} pieces");
        return new UnigramModel(new Vocabulary(ids), scores, unkId, node.Bool("byte_fallback", false));
    }
}
