using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>Layer normalization over the last <paramref name="normalizedSize"/> elements of each row (the trailing normalized_shape), then ·weight + bias.</summary>
    public static Tensor LayerNorm(Tensor x, int normalizedSize, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f) =>
        RowNorm(x, normalizedSize, weight, bias, eps, center: true);

    /// <summary>RMS normalization: x / sqrt(mean(x²) + eps) · weight over the last <paramref name="normalizedSize"/> elements.</summary>
    public static Tensor RmsNorm(Tensor x, int normalizedSize, Tensor? weight = null, float eps = 1e-6f) =>
        RowNorm(x, normalizedSize, weight, null, eps, center: false);

    private static Tensor RowNorm(Tensor x, int size, Tensor? weight, Tensor? bias, float eps, bool center)
    {
        if (size <= 0 || x.Count % size != 0) throw new ArgumentException($"cannot normalize {Shapes.Format(x.Shape)} in rows of {size}");
        if (weight != null && weight.Count != size || bias != null && bias.Count != size)
            throw new ArgumentException($"norm weight and bias must have {size} values");
        var rows = x.Count / size;
        var output = Uninitialized(x.Shape);
        var xhat = new float[x.Count];
        var rstd = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var at = r * size;
            var y = output._data.AsSpan(at, size);
            rstd[r] = NormalizeLine(x._data.AsSpan(at, size), xhat.AsSpan(at, size), eps, center);
            xhat.AsSpan(at, size).CopyTo(y);
            if (weight != null) TensorPrimitives.Multiply(y, weight._data, y);
            if (bias != null) TensorPrimitives.Add(y, bias._data, y);
        }
        return Record(output, [x, weight, bias], static (n, g) =>
        {
            var (xhat, rstd, center) = ((float[], float[], bool))n.Saved!;
            var w = n.Inputs[1];
            var size = n.Inputs[0].Count == 0 ? 0 : xhat.Length / rstd.Length;
            var dxhat = new float[size];
            for (var r = 0; r < rstd.Length; r++)
            {
                var at = r * size;
                var gr = g.Slice(at, size);
                var xr = xhat.AsSpan(at, size);
                if (n.Needs(1)) TensorPrimitives.MultiplyAdd(gr, xr, n.GradOf(1), n.GradOf(1));
                if (n.Needs(2)) TensorPrimitives.Add(n.GradOf(2), gr, n.GradOf(2));
                if (!n.Needs(0)) continue;
                if (w.Count == size && n.Inputs[1] != Absent) TensorPrimitives.Multiply(gr, w._data, dxhat);
                else gr.CopyTo(dxhat);
                NormalizeLineBackward(dxhat, xr, rstd[r], center, n.GradOf(0).Slice(at, size));
            }
        }, (xhat, rstd, center));
    }

    /// <summary>Batch normalization of [N, C, …] over N and the trailing dimensions per channel; in training uses batch statistics and updates the running ones (unbiased variance), else uses the running ones.</summary>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias, bool training, float momentum = 0.1f, float eps = 1e-5f)
    {
        if (x.Rank < 2) throw new ArgumentException($"BatchNorm expects [N, C, …] input, got {Shapes.Format(x.Shape)}");
        int batch = x.Shape[0], channels = x.Shape[1], inner = x.Count / Math.Max(batch * channels, 1);
        var perChannel = batch * inner;
        if (!training && (runningMean == null || runningVar == null)) throw new ArgumentException("BatchNorm in eval mode needs running statistics");
        if (training && perChannel <= 1) throw new ArgumentException($"BatchNorm in training needs more than one value per channel, got input {Shapes.Format(x.Shape)}");
        var output = Uninitialized(x.Shape);
        var xhat = new float[x.Count];
        var rstd = new float[channels];
        var line = new float[perChannel];
        var normalized = new float[perChannel];
        for (var c = 0; c < channels; c++)
        {
            ChannelLine(x._data, c, channels, inner, line, gather: true);
            if (training)
            {
                rstd[c] = NormalizeLine(line, normalized, eps, center: true);
                if (runningMean != null && runningVar != null)
                {
                    var mean = TensorPrimitives.Sum<float>(line) / perChannel;
                    double ss = 0;
                    foreach (var v in line) ss += (v - mean) * (double)(v - mean);
                    runningMean._data[c] = (1 - momentum) * runningMean._data[c] + momentum * mean;
                    runningVar._data[c] = (1 - momentum) * runningVar._data[c] + momentum * (float)(ss / (perChannel - 1));
                }
            }
            else
            {
                rstd[c] = 1f / MathF.Sqrt(runningVar!._data[c] + eps);
                TensorPrimitives.Subtract(line, runningMean!._data[c], normalized);
                TensorPrimitives.Multiply(normalized, rstd[c], normalized);
            }
            ChannelLine(xhat, c, channels, inner, normalized, gather: false);
            TensorPrimitives.Multiply(normalized, weight?._data[c] ?? 1f, normalized);
            TensorPrimitives.Add(normalized, bias?._data[c] ?? 0f, normalized);
            ChannelLine(output._data, c, channels, inner, normalized, gather: false);
        }
        return Record(output, [x, weight, bias], static (n, g) =>
        {
            var (xhat, rstd, training) = ((float[], float[], bool))n.Saved!;
            var x = n.Inputs[0];
            int channels = x.Shape[1], inner = x.Count / Math.Max(x.Shape[0] * channels, 1), perChannel = x.Shape[0] * inner;
            float[] gl = new float[perChannel], xl = new float[perChannel], dl = new float[perChannel];
            var gArray = g.ToArray();
            for (var c = 0; c < channels; c++)
            {
                ChannelLine(gArray, c, channels, inner, gl, gather: true);
                ChannelLine(xhat, c, channels, inner, xl, gather: true);
                if (n.Needs(1)) n.GradOf(1)[c] += TensorPrimitives.Dot(gl, xl);
                if (n.Needs(2)) n.GradOf(2)[c] += TensorPrimitives.Sum<float>(gl);
                if (!n.Needs(0)) continue;
                var w = n.Inputs[1] != Absent ? n.Inputs[1]._data[c] : 1f;
                TensorPrimitives.Multiply(gl, w, gl);
                ChannelLine(x.Grad!._data, c, channels, inner, dl, gather: true);
                // With running statistics the normalization is affine in x, so only the direct term remains.
                if (training) NormalizeLineBackward(gl, xl, rstd[c], center: true, dl);
                else TensorPrimitives.MultiplyAdd(gl, rstd[c], dl, dl);
                ChannelLine(x.Grad!._data, c, channels, inner, dl, gather: false);
            }
        }, (xhat, rstd, training)).WithInputGradBuffers();
    }

    /// <summary>Allocates the inputs' gradient buffers before the backward function runs, for backward code that reads and writes them by array.</summary>
    private Tensor WithInputGradBuffers()
    {
        if (GradFn is not { } node) return this;
        var inner = node.Backward;
        GradFn = new GradNode(node.Inputs, this, (n, g) =>
        {
            foreach (var t in n.Inputs) if (t.RequiresGrad) t.GradSpan();
            inner(n, g);
        }, node.Saved);
        return this;
    }

    /// <summary>Copies channel <paramref name="c"/> of an [N, C, inner] array to or from a contiguous line of N·inner values.</summary>
    private static void ChannelLine(float[] data, int c, int channels, int inner, Span<float> line, bool gather)
    {
        var batch = line.Length / Math.Max(inner, 1);
        for (var b = 0; b < batch; b++)
        {
            var block = data.AsSpan((b * channels + c) * inner, inner);
            var part = line.Slice(b * inner, inner);
            if (gather) block.CopyTo(part);
            else part.CopyTo(block);
        }
    }

    /// <summary>xhat = (x − mean)·rstd (mean 0 when not centering; variance then is the mean square); returns rstd.</summary>
    private static float NormalizeLine(ReadOnlySpan<float> x, Span<float> xhat, float eps, bool center)
    {
        double mean = 0;
        if (center)
        {
            foreach (var v in x) mean += v;
            mean /= x.Length;
        }
        double ss = 0;
        foreach (var v in x) ss += (v - mean) * (v - mean);
        var rstd = (float)(1.0 / Math.Sqrt(ss / x.Length + eps));
        TensorPrimitives.Subtract(x, (float)mean, xhat);
        TensorPrimitives.Multiply(xhat, rstd, xhat);
        return rstd;
    }

    /// <summary>dx += rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) (without the mean(dxhat) term when not centering).</summary>
    private static void NormalizeLineBackward(ReadOnlySpan<float> dxhat, ReadOnlySpan<float> xhat, float rstd, bool center, Span<float> dx)
    {
        var count = dxhat.Length;
        var meanG = center ? TensorPrimitives.Sum(dxhat) / count : 0f;
        var meanGx = TensorPrimitives.Dot(dxhat, xhat) / count;
        for (var i = 0; i < count; i++) dx[i] += rstd * (dxhat[i] - meanG - xhat[i] * meanGx);
    }
}
