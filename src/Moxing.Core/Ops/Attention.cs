using System.Numerics.Tensors;

namespace Moxing.Core.Ops;

/// <summary>Scaled dot-product attention of one query head over a run of cached key/value rows.</summary>
public static class Attention
{
    /// <summary>
    /// output = softmax(softcap(q·kⱼ · scale)) · vⱼ over rows j in [first, first + count) of <paramref name="keys"/> and
    /// <paramref name="values"/> (each row <paramref name="headDim"/> floats). <paramref name="scores"/> is scratch of ≥ count floats.
    /// </summary>
    public static void Head(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int headDim,
        int first, int count, float scale, float softCap, Span<float> scores, Span<float> output)
    {
        var s = scores[..count];
        for (var j = 0; j < count; j++)
            s[j] = TensorPrimitives.Dot(q, keys.Slice((first + j) * headDim, headDim)) * scale;
        if (softCap > 0)
            for (var j = 0; j < count; j++) s[j] = MathF.Tanh(s[j] / softCap) * softCap;
        TensorPrimitives.SoftMax(s, s);
        output.Clear();
        for (var j = 0; j < count; j++)
            TensorPrimitives.MultiplyAdd(values.Slice((first + j) * headDim, headDim), s[j], output, output);
    }
}
