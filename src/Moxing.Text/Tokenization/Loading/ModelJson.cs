using System.Buffers;
using System.Text.Json;
using Moxing.Text.Tokenization.Models;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads the "model" section of tokenizer.json (BPE, WordPiece, WordLevel, Unigram).</summary>
internal static class ModelJson
{
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
        var ids = new Dictionary<string, int>(capacity: 1024, StringComparer.Ordinal);
        foreach (JsonProperty property in node.Element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int id) || id < 0)
            {
                throw node.Error($"token '{property.Name}' has id {property.Value.GetRawText()}, expected a non-negative integer");
            }
            ids[property.Name] = id;
        }
        return new Vocabulary(ids);
    }

    /// <summary>Builds the merge map: (left &lt;&lt; 32 | right) → (rank &lt;&lt; 32 | merged id); a later duplicate wins as in Hugging Face.</summary>
    public static Dictionary<long, long> BuildMerges(Vocabulary vocabulary, IReadOnlyList<(string Left, string Right)> merges,
        string? continuingSubwordPrefix, Func<int, string, TokenizerException> error)
    {
        var map = new Dictionary<long, long>(merges.Count);
        int prefixLength = continuingSubwordPrefix?.Length ?? 0;
        char[] buffer = ArrayPool<char>.Shared.Rent(256);
        try
        {
            for (int rank = 0; rank < merges.Count; rank++)
            {
                var (left, right) = merges[rank];
                if (!vocabulary.TryGetId(left, out int leftId)) throw error(rank, $"token '{left}' is not in the vocabulary");
                if (!vocabulary.TryGetId(right, out int rightId)) throw error(rank, $"token '{right}' is not in the vocabulary");
                if (right.Length < prefixLength) throw error(rank, $"token '{right}' is shorter than the continuing_subword_prefix");
                int length = left.Length + right.Length - prefixLength;
                if (buffer.Length < length)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(length);
                }
                left.CopyTo(buffer);
                right.AsSpan(prefixLength).CopyTo(buffer.AsSpan(left.Length));
                if (!vocabulary.TryGetId(buffer.AsSpan(0, length), out int mergedId))
                {
                    throw error(rank, $"merged token '{new string(buffer, 0, length)}' is not in the vocabulary");
                }
                map[BpeMerger.Key(leftId, rightId)] = ((long)rank << 32) | (uint)mergedId;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
        return map;
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
        var merges = new List<(string, string)>(mergesNode.Count);
        foreach (JsonNode merge in mergesNode.Items())
        {
            if (merge.Element.ValueKind == JsonValueKind.Array)
            {
                if (merge.Count != 2) throw merge.Error($"expected a pair of tokens, found {merge.Count} items");
                var pair = merge.Items().ToArray();
                merges.Add((pair[0].AsString(), pair[1].AsString()));
                continue;
            }
            string text = merge.AsString();
            int space = text.IndexOf(' ');
            if (space < 0 || text.IndexOf(' ', space + 1) >= 0) throw merge.Error($"expected \"left right\", found '{text}'");
            merges.Add((text[..space], text[(space + 1)..]));
        }
        double? dropout = node.Optional("dropout")?.AsDouble();
        if (dropout is < 0 or > 1) throw node.Required("dropout").Error($"dropout must be between 0 and 1, found {dropout}");
        var options = new BpeOptions(node.OptionalString("unk_token"), node.OptionalString("continuing_subword_prefix"),
            node.OptionalString("end_of_word_suffix"), node.Bool("fuse_unk", false), node.Bool("byte_fallback", false),
            node.Bool("ignore_merges", false));
        var map = BuildMerges(vocabulary, merges, options.ContinuingSubwordPrefix,
            (rank, problem) => new TokenizerException($"{mergesNode.Source}: field '{mergesNode.Path}[{rank}]': {problem}"));
        return new BpeModel(vocabulary, map, options);
    }

    private static UnigramModel ReadUnigram(JsonNode node)
    {
        JsonNode vocabNode = node.Required("vocab");
        var ids = new Dictionary<string, int>(vocabNode.Count, StringComparer.Ordinal);
        var scores = new double[vocabNode.Count];
        int id = 0;
        foreach (JsonNode entry in vocabNode.Items())
        {
            if (entry.Element.ValueKind != JsonValueKind.Array || entry.Count != 2) throw entry.Error("expected [piece, score]");
            var pair = entry.Items().ToArray();
            ids.TryAdd(pair[0].AsString(), id);
            scores[id++] = pair[1].AsDouble();
        }
        int unkId = node.Optional("unk_id")?.AsIndex() ?? -1;
        if (unkId >= scores.Length) throw node.Required("unk_id").Error($"unk_id {unkId} is outside the vocabulary of {scores.Length} pieces");
        return new UnigramModel(new Vocabulary(ids), scores, unkId, node.Bool("byte_fallback", false));
    }
}
