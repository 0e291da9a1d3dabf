using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Layers;

/// <summary>
/// Weights of an RMSNorm or LayerNorm over rows of <see cref="Weight"/>.Length, or, with a <paramref name="groupSize"/> that
/// divides it, over each group of that many values with its own slice of the weights (per-head norms with a row per head).
/// A LayerNorm's <paramref name="weightOffset"/> (Nemotron's LayerNorm1P) is added to its weights once, here.
/// </summary>
public sealed class Norm(NormKind kind, float[] weight, float[]? bias, float eps, float weightOffset = 0f, int groupSize = 0)
{
    /// <summary>Scale per dimension (a LayerNorm's with its offset added).</summary>
    public float[] Weight { get; } = kind == NormKind.Layer && weightOffset != 0 ? [.. weight.Select(w => w + weightOffset)] : weight;

    /// <summary>Shift per dimension (LayerNorm only; null for none).</summary>
    public float[]? Bias { get; } = bias;

    /// <summary>Normalises each row of <paramref name="x"/> into <paramref name="y"/> (may alias).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (groupSize == 0 || groupSize == Weight.Length)
        {
            Apply(x, y, Weight, Bias);
            return;
        }
        for (var row = 0; row < x.Length; row += Weight.Length)
            for (var g = 0; g < Weight.Length; g += groupSize)
                Apply(x.Slice(row + g, groupSize), y.Slice(row + g, groupSize), Weight.AsSpan(g, groupSize),
                    Bias == null ? default : Bias.AsSpan(g, groupSize));
    }

    private void Apply(ReadOnlySpan<float> x, Span<float> y, ReadOnlySpan<float> w, ReadOnlySpan<float> b)
    {
        if (kind == NormKind.Rms) Norms.RmsNorm(x, w, eps, weightOffset, y);
        else Norms.LayerNorm(x, w, b, eps, y);
    }
}
