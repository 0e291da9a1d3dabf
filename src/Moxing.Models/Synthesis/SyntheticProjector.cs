using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Vision;

namespace Moxing.Models.Synthesis;

/// <summary>Small vision projectors (mmproj GGUFs) with random weights, for tests and agreement runs against llama.cpp.</summary>
public static class SyntheticProjector
{
    /// <summary>
    /// The tower's shape for <paramref name="projector"/>: two blocks 64 wide (LLaVA: three, the projector reading the second's output),
    /// 14² patches; Gemma 3: 224² images pooled by 4 to 16 tokens; LLaVA: a CLIP tower (class token, pre norm, quick GELU) on 112²
    /// images, 64 tokens; Idefics3: 112² tiles shuffled by 2 to 16 tokens, images scaled to a longest edge of 224 (up to 2 × 2 tiles);
    /// Qwen2-VL: images of any size in llama.cpp's bounds (8 to 4096 merged tokens), 2 × 2 merges, quick GELU and LayerNorm, or for 2.5
    /// SwiGLU, RMSNorm and 112-pixel windows in the first block (full attention in the second).
    /// </summary>
    public static VisionOptions Options(VisionProjector projector, int textHidden)
    {
        var o = new VisionOptions
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
            Projector = projector,
            MergeFactor = 4,
        };
        return projector switch
        {
            VisionProjector.Mlp => o with
            {
                ImageSize = 112,
                LayerCount = 3,
                FeatureLayer = 2,
                MergeFactor = 1,
                NormEps = 1e-5f,
                Activation = Activation.GeluQuick,
                Mean = [0.48145466f, 0.4578275f, 0.40821073f],
                Std = [0.26862954f, 0.26130258f, 0.27577711f],
            },
            VisionProjector.Idefics3 => o with { ImageSize = 112, MergeFactor = 2, LongestEdge = 224 },
            VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => Qwen(o with { ImageSize = 560, MergeFactor = 2 }),
            _ => o,
        };
    }

    private static VisionOptions Qwen(VisionOptions o)
    {
        var qwen25 = o.Projector == VisionProjector.Qwen25Vl;
        return o with
        {
            Mean = [0.48145466f, 0.4578275f, 0.40821073f],
            Std = [0.26862954f, 0.26130258f, 0.27577711f],
            MinPixels = 8 * 28 * 28,
            MaxPixels = 4096 * 28 * 28,
            Activation = qwen25 ? Activation.Silu : Activation.GeluQuick,
            ProjectorActivation = Activation.GeluTanh,
            NormKind = qwen25 ? Decoder.NormKind.Rms : Decoder.NormKind.Layer,
            WindowSize = qwen25 ? 112 : 0,
            FullAttentionEvery = qwen25 ? 2 : 0,
        };
    }

    /// <summary>
    /// The writer of a <paramref name="projector"/> feeding a text model <paramref name="textHidden"/> wide; LayerNorm weights near 1,
    /// biases and the class embedding small, matrices spread by fan-in.
    /// </summary>
    public static GgufWriter Write(VisionProjector projector, int textHidden, int seed)
    {
        var random = new Random(seed);
        return ProjectorWriter.Write(Options(projector, textHidden), (name, shape) =>
        {
            var count = shape.Aggregate(1L, (a, d) => a * d);
            // LayerNorm weights near 1 (Gemma 3's soft norm w is an offset from 1), the rest spread by fan-in.
            var mean = name.EndsWith("norm1.weight", StringComparison.Ordinal) || name.EndsWith("norm2.weight", StringComparison.Ordinal)
                || name is "post_layernorm.weight" or "pre_layrnorm.weight" or "merger.ln_q.weight" ? 1f : 0f;
            var spread = shape.Length == 1 ? 0.1f : 1f / MathF.Sqrt(shape.Skip(1).Aggregate(1L, (a, d) => a * d));
            return [.. Enumerable.Range(0, (int)count).Select(_ => mean + (random.NextSingle() - 0.5f) * 2 * spread)];
        }, $"synthetic {projector.ToString().ToLowerInvariant()} mmproj");
    }
}
