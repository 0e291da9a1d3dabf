using System.Numerics.Tensors;

namespace Moxing.Core.Ops;

/// <summary>Normalisation layers on float32 rows, as PyTorch / transformers compute them.</summary>
public static class Norms
{
    /// <summary>RMSNorm of each row of <paramref name="x"/> (rows of weight.Length): y = x / rms(x) * (weightOffset + w).</summary>
    /// <remarks>weightOffset is 0 for Llama-style norms and 1 for Gemma's (1 + w) norms.</remarks>
    public static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, float weightOffset, Span<float> y)
    {
        var d = weight.Length;
        for (var r = 0; r < x.Length / d; r++)
        {
            var row = x.Slice(r * d, d);
            var outRow = y.Slice(r * d, d);
            var inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(row) / d + eps);
            TensorPrimitives.Multiply(row, inv, outRow);
            if (weightOffset == 0f) TensorPrimitives.Multiply(outRow, weight, outRow);
            else
                for (var i = 0; i < d; i++) outRow[i] *= weightOffset + weight[i];
        }
    }

    /// <summary>LayerNorm of each row: y = (x - mean) / sqrt(var + eps) * w + b (biased variance, as PyTorch); an empty bias means none.</summary>
    public static void LayerNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        var d = weight.Length;
        for (var r = 0; r < x.Length / d; r++)
        {
            var row = x.Slice(r * d, d);
            var outRow = y.Slice(r * d, d);
            var mean = TensorPrimitives.Sum(row) / d;
            TensorPrimitives.Subtract(row, mean, outRow);
            var inv = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(outRow) / d + eps);
            TensorPrimitives.Multiply(outRow, inv, outRow);
            if (bias.IsEmpty) TensorPrimitives.Multiply(outRow, weight, outRow);
            else TensorPrimitives.MultiplyAdd(outRow, weight, bias, outRow);
        }
    }
}
