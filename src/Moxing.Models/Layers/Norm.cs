using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Layers;

/// <summary>Weights of an RMSNorm or LayerNorm over rows of <see cref="Weight"/>.Length.</summary>
public sealed class Norm(NormKind kind, float[] weight, float[]? bias, float eps, float weightOffset = 0f)
{
    /// <summary>Scale per dimension.</summary>
    public float[] Weight { get; } = weight;

    /// <summary>Shift per dimension (LayerNorm only; null for none).</summary>
    public float[]? Bias { get; } = bias;

    /// <summary>Normalises each row of <paramref name="x"/> into <paramref name="y"/> (may alias).</summary>
    public void Apply(ReadOnlySpan<float> x, Span<float> y)
    {
        if (kind == NormKind.Rms) Norms.RmsNorm(x, Weight, eps, weightOffset, y);
        else Norms.LayerNorm(x, Weight, Bias, eps, y);
    }
}
