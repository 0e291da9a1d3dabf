namespace Moxing.Models.Synthesis;

/// <summary>The architecture and dimensions of a real model, as llama.cpp's converter writes them into GGUF.</summary>
public sealed record SynthShape(
    string Name, string Architecture, int Vocab, int Hidden, int Layers, int FeedForward, int Heads, int KvHeads,
    int HeadDim, int Context, float NormEps, float RopeBase, int SlidingWindow = 0)
{
    /// <summary>q/k/v projections carry biases (qwen2).</summary>
    public bool QkvBias => Architecture == "qwen2";

    /// <summary>Per-head RMS norms on q and k (qwen3, gemma3).</summary>
    public bool QkNorm => Architecture is "qwen3" or "gemma3";

    /// <summary>Gemma's norms after attention and MLP, and its key/value head size written whatever the shape (gemma3).</summary>
    public bool Gemma => Architecture == "gemma3";

    /// <summary>Llama 3 RoPE scaling, stored as `rope_freqs.weight` factors.</summary>
    public bool Llama3Rope => Architecture == "llama";

    /// <summary>The shapes `moxing synth --like` knows, by name; the `tiny-*` ones are sub-megabyte models for tests.</summary>
    public static IReadOnlyList<SynthShape> Known { get; } =
    [
        new("qwen2.5-0.5b", "qwen2", 151936, 896, 24, 4864, 14, 2, 64, 32768, 1e-6f, 1000000f),
        new("qwen2.5-1.5b", "qwen2", 151936, 1536, 28, 8960, 12, 2, 128, 32768, 1e-6f, 1000000f),
        new("llama3.2-1b", "llama", 128256, 2048, 16, 8192, 32, 8, 64, 131072, 1e-5f, 500000f),
        new("qwen3-0.6b", "qwen3", 151936, 1024, 28, 3072, 16, 8, 128, 40960, 1e-6f, 1000000f),
        new("tiny-qwen2", "qwen2", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-6f, 1000000f),
        new("tiny-llama", "llama", 1024, 256, 4, 512, 4, 2, 64, 256, 1e-5f, 500000f),
        new("tiny-qwen3", "qwen3", 1024, 256, 4, 512, 4, 2, 128, 256, 1e-6f, 1000000f),
        // Gemma 3's converted configs: window on 5 of every 6 layers, local RoPE base 10000 (written as freq_base_swa).
        new("gemma3-270m", "gemma3", 262144, 640, 18, 2048, 4, 1, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512),
        new("gemma3-1b", "gemma3", 262144, 1152, 26, 6912, 4, 1, 256, 32768, 1e-6f, 1000000f, SlidingWindow: 512),
        new("tiny-gemma3", "gemma3", 1024, 256, 6, 512, 4, 1, 64, 256, 1e-6f, 1000000f, SlidingWindow: 8),
    ];

    /// <summary>The known shape called <paramref name="name"/>, or null.</summary>
    public static SynthShape? Find(string name)
    {
        foreach (var s in Known)
            if (string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)) return s;
        return null;
    }
}
