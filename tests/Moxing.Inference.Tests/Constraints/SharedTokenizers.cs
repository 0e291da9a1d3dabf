using Moxing.Tests;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Tests.Constraints;

/// <summary>Real tokenizers loaded once for all constraint tests (their token tries are cached per instance).</summary>
internal static class SharedTokenizers
{
    private static readonly Lazy<Tokenizer> LazyQwen3 = new(() => Tokenizer.FromJson(Fixtures.Path("hf", "tokenizer-files", "qwen3", "tokenizer.json")));
    private static readonly Lazy<Tokenizer> LazyLlama2 = new(() => Tokenizer.FromJson(Fixtures.Path("hf", "tokenizer-files", "llama2", "tokenizer.json")));

    /// <summary>The control tokens of gpt-oss's harmony format.</summary>
    public static readonly string[] HarmonyMarkup = ["<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>"];

    private static readonly Lazy<Tokenizer> LazyHarmony = new(() =>
    {
        // gpt-oss's o200k_harmony marks messages with control tokens; Qwen3's vocabulary with them added stands in for it
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Fixtures.Path("hf", "tokenizer-files", "qwen3", "tokenizer.json")))!;
        var added = json["added_tokens"]!.AsArray();
        var id = 151669;
        foreach (var token in HarmonyMarkup)
            added.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["id"] = id++,
                ["content"] = token,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            });
        return Tokenizer.FromJsonText(json.ToJsonString(), "qwen3+harmony");
    });

    /// <summary>Qwen3's vocabulary with harmony's control tokens added (as gpt-oss's tokenizer has them).</summary>
    public static Tokenizer Harmony => LazyHarmony.Value;

    /// <summary>Qwen3's byte-level BPE (151k tokens).</summary>
    public static Tokenizer Qwen3 => LazyQwen3.Value;

    /// <summary>Llama 2's SentencePiece BPE with byte fallback.</summary>
    public static Tokenizer Llama2 => LazyLlama2.Value;
}
