using System.Numerics.Tensors;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Vision;

/// <summary>A projector: the tower's patch features [patches, hidden] (row by row over the grid, class token dropped) into text embeddings.</summary>
internal abstract class VisionProjection(VisionOptions o)
{
    protected VisionOptions Options { get; } = o;

    /// <summary>The embeddings [<see cref="VisionOptions.TokensPerImage"/>, text width] of the patch features <paramref name="x"/>.</summary>
    public abstract float[] Project(float[] x);

    /// <summary>
    /// The projector of <paramref name="o"/> from <paramref name="names"/>' projector tensors; a Gemma 3 soft norm stored as w
    /// (transformers) takes <paramref name="softNormOffset"/> 1, as 1 + w (llama.cpp's converter) 0.
    /// </summary>
    public static VisionProjection Load(VisionOptions o, VisionWeights w, VisionTensorNames names, float softNormOffset) => o.Projector switch
    {
        VisionProjector.Gemma3 => new Gemma3Projection(o, new Norm(NormKind.Rms, w.Vector(names.Projector[0], o.HiddenSize), null, o.NormEps, softNormOffset),
            new Linear(w.Transposed(w.Shaped(names.Projector[1], o.HiddenSize, o.TextHiddenSize)), null)),
        VisionProjector.Mlp => new MlpProjection(o, w.Dense(names.Projector[0], o.TextHiddenSize, o.HiddenSize),
            w.Dense(names.Projector[1], o.TextHiddenSize, o.TextHiddenSize)),
        VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => new MlpProjection(o, w.Dense(names.Projector[0], o.ProjectorInputSize, o.ProjectorInputSize),
            w.Dense(names.Projector[1], o.TextHiddenSize, o.ProjectorInputSize)),
        _ => new Idefics3Projection(o, new Linear(w.Shaped(names.Projector[0], o.TextHiddenSize, o.ProjectorInputSize), null)),
    };

    protected float[] Apply(Linear projection, float[] x, int tokens, int width)
    {
        var embeddings = new float[tokens * width];
        projection.Forward(x, tokens, embeddings);
        return embeddings;
    }
}

/// <summary>Gemma 3: average pool of the patch grid (tokens row by row), the soft embedding RMSNorm, then the projection.</summary>
internal sealed class Gemma3Projection(VisionOptions o, Norm softNorm, Linear projection) : VisionProjection(o)
{
    public override float[] Project(float[] x)
    {
        int h = Options.HiddenSize, side = Options.PatchesPerSide, k = Options.MergeFactor, tokensSide = side / k, tokens = tokensSide * tokensSide;
        var pooled = new float[tokens * h];
        for (var ty = 0; ty < tokensSide; ty++)
            for (var tx = 0; tx < tokensSide; tx++)
            {
                var target = pooled.AsSpan((ty * tokensSide + tx) * h, h);
                for (var dy = 0; dy < k; dy++)
                    for (var dx = 0; dx < k; dx++) TensorPrimitives.Add(target, x.AsSpan(((ty * k + dy) * side + tx * k + dx) * h, h), target);
                TensorPrimitives.Divide(target, k * k, target);
            }
        softNorm.Apply(pooled, pooled);
        return Apply(projection, pooled, tokens, Options.TextHiddenSize);
    }
}

/// <summary>
/// LLaVA: linear, GELU, linear, one token per patch; Qwen2-VL's merger: the same over each merge square's patch features side by side
/// (its m² patches are consecutive rows).
/// </summary>
internal sealed class MlpProjection(VisionOptions o, Linear first, Linear second) : VisionProjection(o)
{
    public override float[] Project(float[] x)
    {
        var tokens = x.Length / Options.ProjectorInputSize;
        var inner = Apply(first, x, tokens, first.OutFeatures);
        Activations.Apply(Options.ProjectorActivation, inner);
        return Apply(second, inner, tokens, Options.TextHiddenSize);
    }
}

/// <summary>
/// Idefics3: pixel shuffle (each s × s square of patches, s the merge factor, becomes one token of its s² features side by side, row offset
/// major, as Idefics3Connector.pixel_shuffle reshapes them), then one linear layer without bias.
/// </summary>
internal sealed class Idefics3Projection(VisionOptions o, Linear projection) : VisionProjection(o)
{
    public override float[] Project(float[] x)
    {
        int h = Options.HiddenSize, side = Options.PatchesPerSide, s = Options.MergeFactor, tokensSide = side / s;
        var shuffled = new float[x.Length];
        for (var ty = 0; ty < tokensSide; ty++)
            for (var tx = 0; tx < tokensSide; tx++)
                for (var dy = 0; dy < s; dy++)
                    for (var dx = 0; dx < s; dx++)
                        x.AsSpan(((ty * s + dy) * side + tx * s + dx) * h, h)
                            .CopyTo(shuffled.AsSpan(((ty * tokensSide + tx) * s * s + dy * s + dx) * h, h));
        return Apply(projection, shuffled, tokensSide * tokensSide, Options.TextHiddenSize);
    }
}
