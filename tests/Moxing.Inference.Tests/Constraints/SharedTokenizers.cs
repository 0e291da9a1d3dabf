using Moxing.Tests;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Tests.Constraints;

/// <summary>Real tokenizers loaded once for all constraint tests (their token tries are cached per instance).</summary>
internal static class SharedTokenizers
{
    private static readonly Lazy<Tokenizer> LazyQwen3 = new(() => Tokenizer.FromJson(Fixtures.Path("hf", "tokenizer-files", "qwen3", "tokenizer.json")));
    private static readonly Lazy<Tokenizer> LazyLlama2 = new(() => Tokenizer.FromJson(Fixtures.Path("hf", "tokenizer-files", "llama2", "tokenizer.json")));

    /// <summary>Qwen3's byte-level BPE (151k tokens).</summary>
    public static Tokenizer Qwen3 => LazyQwen3.Value;

    /// <summary>Llama 2's SentencePiece BPE with byte fallback.</summary>
    public static Tokenizer Llama2 => LazyLlama2.Value;
}
