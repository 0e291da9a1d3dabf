using System.Text.Json;
using Moxing.Text.Tokenization;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tests.Tokenization;

/// <summary>Runs single pipeline components read from tokenizer.json snippets.</summary>
internal static class Components
{
    public static string Normalize(string normalizerJson, string text)
    {
        using var doc = JsonDocument.Parse(normalizerJson);
        var normalizer = NormalizerJson.Read(new JsonNode(doc.RootElement, "normalizer", "test"));
        return normalizer.Normalize(TextPiece.Whole(text, atOrigin: true)).Text;
    }

    public static string[] PreTokenize(string preTokenizerJson, string text, bool atOrigin = true)
    {
        using var doc = JsonDocument.Parse(preTokenizerJson);
        var preTokenizer = PreTokenizerJson.Read(new JsonNode(doc.RootElement, "pre_tokenizer", "test"));
        var pieces = new List<TextPiece>();
        preTokenizer.PreTokenize(TextPiece.Whole(text, atOrigin), pieces);
        return [.. pieces.Select(p => p.Text)];
    }

    public static string Decode(string decoderJson, params string[] tokens)
    {
        using var doc = JsonDocument.Parse(decoderJson);
        var decoder = DecoderJson.Read(new JsonNode(doc.RootElement, "decoder", "test"));
        var list = tokens.ToList();
        decoder.DecodeChain(list);
        return string.Concat(list);
    }

    /// <summary>A tokenizer.json with the given sections (each a JSON value or null).</summary>
    public static Tokenizer Tokenizer(string model, string? normalizer = null, string? preTokenizer = null, string? postProcessor = null,
        string? decoder = null, string addedTokens = "[]") =>
        Moxing.Text.Tokenization.Tokenizer.FromJsonText($$"""
            {"version": "1.0", "added_tokens": {{addedTokens}}, "normalizer": {{normalizer ?? "null"}},
             "pre_tokenizer": {{preTokenizer ?? "null"}}, "post_processor": {{postProcessor ?? "null"}},
             "decoder": {{decoder ?? "null"}}, "model": {{model}}}
            """, "test.json");

    /// <summary>A WordLevel model over the given tokens (ids in order) with [UNK] last.</summary>
    public static string WordLevel(params string[] tokens)
    {
        var vocab = tokens.Append("[UNK]").Select((t, i) => $"{JsonSerializer.Serialize(t)}: {i}");
        return $$"""{"type": "WordLevel", "vocab": { {{string.Join(", ", vocab)}} }, "unk_token": "[UNK]"}""";
    }
}
