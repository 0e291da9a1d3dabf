using System.Text.Json.Nodes;
using Moxing.Training.Data.Text;

namespace Moxing.Training.Export;

/// <summary>
/// A <see cref="TokenVocabulary"/> as a Hugging Face tokenizer.json that tokenizes exactly as the vocabulary does: characters
/// as a BPE model without merges (every character its own token, Fuse decoder), words as a WordLevel model behind a
/// lower-casing normalizer and the vocabulary's own word pattern.
/// </summary>
public static class VocabularyTokenizerJson
{
    /// <summary>The tokenizer.json document of <paramref name="vocabulary"/>.</summary>
    public static JsonObject Build(TokenVocabulary vocabulary)
    {
        var vocab = new JsonObject();
        for (var i = 0; i < vocabulary.Tokens.Count; i++) vocab[vocabulary.Tokens[i]] = i;
        var words = vocabulary.Level == TokenLevel.Words;
        JsonObject model = words
            ? new() { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = TokenVocabulary.Unknown }
            : new()
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = TokenVocabulary.Unknown,
                ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null,
                ["fuse_unk"] = false,
                ["byte_fallback"] = false,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray(),
            };
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(Special(vocabulary.PadId, TokenVocabulary.Pad), Special(vocabulary.UnknownId, TokenVocabulary.Unknown)),
            ["normalizer"] = words ? new JsonObject { ["type"] = "Lowercase" } : null,
            ["pre_tokenizer"] = words ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(Split(@"\s+", "Removed"), Split(TokenVocabulary.WordRegex, "Isolated")),
            } : null,
            ["post_processor"] = null,
            // Without a decoder transformers joins word tokens with spaces, as the vocabulary's Decode does.
            ["decoder"] = words ? null : new JsonObject { ["type"] = "Fuse" },
            ["model"] = model,
        };
    }

    private static JsonObject Special(int id, string content) => new()
    {
        ["id"] = id,
        ["content"] = content,
        ["single_word"] = false,
        ["lstrip"] = false,
        ["rstrip"] = false,
        ["normalized"] = false,
        ["special"] = true,
    };

    private static JsonObject Split(string regex, string behavior) => new()
    {
        ["type"] = "Split",
        ["pattern"] = new JsonObject { ["Regex"] = regex },
        ["behavior"] = behavior,
        ["invert"] = false,
    };
}
