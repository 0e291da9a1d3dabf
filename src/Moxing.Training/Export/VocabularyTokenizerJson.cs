using System.Text.Json.Nodes;
using Moxing.Text.Tokenization.Models;
using Moxing.Training.Data.Text;

namespace Moxing.Training.Export;

/// <summary>
/// A <see cref="TokenVocabulary"/> as a Hugging Face tokenizer.json that tokenizes exactly as the vocabulary does: characters
/// as a BPE model without merges (every character its own token) — for ASCII-only vocabularies in GPT-2's byte-level form
/// (ByteLevel pre-tokenizer and decoder), which GGUF converters read, otherwise character by character with a Fuse
/// decoder —, words as a WordLevel model behind a lower-casing normalizer and the vocabulary's own word pattern.
/// </summary>
public static class VocabularyTokenizerJson
{
    /// <summary>The tokenizer.json document of <paramref name="vocabulary"/>.</summary>
    public static JsonObject Build(TokenVocabulary vocabulary)
    {
        var words = vocabulary.Level == TokenLevel.Words;
        var byteLevel = !words && Enumerable.Range(0, vocabulary.Tokens.Count)
            .All(i => i == vocabulary.PadId || i == vocabulary.UnknownId || vocabulary.Tokens[i] is [< (char)128]);
        var vocab = new JsonObject();
        for (var i = 0; i < vocabulary.Tokens.Count; i++)
        {
            var token = vocabulary.Tokens[i];
            vocab[byteLevel && i != vocabulary.PadId && i != vocabulary.UnknownId ? ByteLevelAlphabet.Encode(token) : token] = i;
        }
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
            } : byteLevel ? ByteLevel(addPrefixSpace: false) : null,
            ["post_processor"] = null,
            // Without a decoder transformers joins word tokens with spaces, as the vocabulary's Decode does.
            ["decoder"] = words ? null : byteLevel ? ByteLevel(addPrefixSpace: true) : new JsonObject { ["type"] = "Fuse" },
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

    // GPT-2's own pre-tokenizer and decoder entries.
    private static JsonObject ByteLevel(bool addPrefixSpace) => new()
    {
        ["type"] = "ByteLevel",
        ["add_prefix_space"] = addPrefixSpace,
        ["trim_offsets"] = true,
        ["use_regex"] = true,
    };

    private static JsonObject Split(string regex, string behavior) => new()
    {
        ["type"] = "Split",
        ["pattern"] = new JsonObject { ["Regex"] = regex },
        ["behavior"] = behavior,
        ["invert"] = false,
    };
}
