using Moxing.Core.Formats.Gguf;
using Moxing.Models.Vision;

namespace Moxing.Models.Synthesis;

/// <summary>A small Gemma 3 vision projector (mmproj GGUF) with random weights, for tests and agreement runs against llama.cpp.</summary>
public static class SyntheticProjector
{
    /// <summary>The tower's shape: 224² images in 14² patches (16 × 16), pooled by 4 to 16 tokens; two blocks 64 wide.</summary>
    public static VisionOptions Options(int textHidden) => new()
    {
        ImageSize = 224,
        PatchSize = 14,
        HiddenSize = 64,
        FeedForwardSize = 128,
        LayerCount = 2,
        HeadCount = 4,
        NormEps = 1e-6f,
        Mean = [0.5f, 0.5f, 0.5f],
        Std = [0.5f, 0.5f, 0.5f],
        TextHiddenSize = textHidden,
        PoolKernel = 4,
    };

    /// <summary>The writer of a projector feeding a text model <paramref name="textHidden"/> wide; norms near 1, biases and weights small.</summary>
    public static GgufWriter Gemma3(int textHidden, int seed)
    {
        var random = new Random(seed);
        return ProjectorWriter.Gemma3(Options(textHidden), (name, shape) =>
        {
            var count = shape.Aggregate(1L, (a, d) => a * d);
            // LayerNorm weights near 1 (the soft norm's w is an offset from 1), the rest spread by fan-in.
            var mean = name.EndsWith("norm1.weight", StringComparison.Ordinal) || name.EndsWith("norm2.weight", StringComparison.Ordinal)
                || name == "post_layernorm.weight" ? 1f : 0f;
            var spread = shape.Length == 1 ? 0.1f : 1f / MathF.Sqrt(shape.Skip(1).Aggregate(1L, (a, d) => a * d));
            return [.. Enumerable.Range(0, (int)count).Select(_ => mean + (random.NextSingle() - 0.5f) * 2 * spread)];
        }, "synthetic gemma3 mmproj");
    }
}
