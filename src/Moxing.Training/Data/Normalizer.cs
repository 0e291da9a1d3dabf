using System.Numerics.Tensors;
using System.Text.Json.Serialization;

namespace Moxing.Training.Data;

/// <summary>
/// Standardizes inputs to zero mean and unit variance per group: per feature for tabular rows ([F]), per channel
/// for images ([C, H, W]). Fitted on the training split only, then applied to every split and at inference.
/// </summary>
public sealed class Normalizer
{
    /// <summary>Creates a normalizer from its statistics; <paramref name="innerSize"/> values in a row share a group.</summary>
    [JsonConstructor]
    public Normalizer(float[] mean, float[] std, int innerSize)
    {
        if (mean.Length != std.Length || mean.Length == 0) throw new ArgumentException("mean and std need the same, non-zero length");
        if (innerSize <= 0) throw new ArgumentOutOfRangeException(nameof(innerSize));
        Mean = mean;
        Std = std;
        InnerSize = innerSize;
    }

    /// <summary>Mean of each group.</summary>
    public float[] Mean { get; }

    /// <summary>Standard deviation of each group (1 where a group is constant, so it maps to 0).</summary>
    public float[] Std { get; }

    /// <summary>Consecutive values that belong to one group (1 for features, H×W for channels).</summary>
    public int InnerSize { get; }

    /// <summary>Fits per-feature ([F]) or per-channel ([C, …]) statistics on <paramref name="data"/>.</summary>
    public static Normalizer Fit(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Kind != InputKind.Dense) throw new ArgumentException("token inputs are not normalized");
        var groups = data.ExampleShape[0];
        var inner = data.ExampleSize / groups;
        var sum = new double[groups];
        var squares = new double[groups];
        var inputs = data.Inputs;
        for (var i = 0; i < inputs.Length; i++)
        {
            var g = i / inner % groups;
            sum[g] += inputs[i];
            squares[g] += (double)inputs[i] * inputs[i];
        }
        var n = (double)data.Count * inner;
        var mean = new float[groups];
        var std = new float[groups];
        for (var g = 0; g < groups; g++)
        {
            var m = sum[g] / n;
            var variance = Math.Max(0, squares[g] / n - m * m);
            mean[g] = (float)m;
            std[g] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new Normalizer(mean, std, inner);
    }

    /// <summary>Standardizes <paramref name="values"/> (whole examples, one after another) in place.</summary>
    public void Apply(Span<float> values)
    {
        var groups = Mean.Length;
        var row = groups * InnerSize;
        if (values.Length % row != 0) throw new ArgumentException($"{values.Length} values are not whole examples of {row}");
        for (var start = 0; start < values.Length; start += row)
            for (var g = 0; g < groups; g++)
            {
                var span = values.Slice(start + g * InnerSize, InnerSize);
                TensorPrimitives.Subtract(span, Mean[g], span);
                TensorPrimitives.Multiply(span, 1f / Std[g], span);
            }
    }

    /// <summary>A standardized copy of <paramref name="data"/>.</summary>
    public Dataset Apply(Dataset data)
    {
        var inputs = (float[])data.Inputs.Clone();
        Apply(inputs);
        return new Dataset(inputs, data.ExampleShape, data.Targets, data.Kind, data.VocabularySize);
    }
}
