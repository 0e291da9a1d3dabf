using Moxing.Core.Kernels;
using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>y = W·x (+ b) with W kept in its stored type, rows = output features.</summary>
public sealed class Linear
{
    /// <summary>The weight matrix [out, in] as stored.</summary>
    public StoredTensor Weight { get; }

    /// <summary>Optional bias [out].</summary>
    public float[]? Bias { get; }

    /// <summary>Output features (rows of the weight).</summary>
    public int OutFeatures { get; }

    /// <summary>Input features (columns of the weight).</summary>
    public int InFeatures { get; }

    /// <summary>Wraps a stored [out, in] weight and an optional bias.</summary>
    public Linear(StoredTensor weight, float[]? bias)
    {
        if (weight.Shape.Length != 2)
            throw new ArgumentException($"{weight.Name}: expected a matrix, got shape [{string.Join(", ", weight.Shape)}]");
        Weight = weight;
        Bias = bias;
        OutFeatures = checked((int)weight.Shape[0]);
        InFeatures = checked((int)weight.Shape[1]);
        if (bias != null && bias.Length != OutFeatures)
            throw new ArgumentException($"{weight.Name}: bias has {bias.Length} values, expected {OutFeatures}");
    }

    /// <summary>y[t] = W·x[t] + b for the <paramref name="n"/> rows of x ([n, in]) into y ([n, out]).</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        MatMul.Parallel(Weight, x[..(n * InFeatures)], n, y[..(n * OutFeatures)]);
        if (Bias == null) return;
        for (var t = 0; t < n; t++)
            System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(t * OutFeatures, OutFeatures), Bias, y.Slice(t * OutFeatures, OutFeatures));
    }
}
