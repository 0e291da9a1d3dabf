using System.Numerics.Tensors;
using Moxing.Core.Ops;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluCubic = 0.044715f;

    /// <summary>max(0, x).</summary>
    public Tensor Relu()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Max(_data, 0f, output._data);
        return Record(output, this, static (n, g) =>
        {
            var y = n.Output._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) if (y[i] > 0f) dx[i] += g[i];
        });
    }

    /// <summary>GELU: exact x·Φ(x) with erf, or the tanh approximation (PyTorch's approximate='tanh').</summary>
    public Tensor Gelu(bool tanhApproximation = false)
    {
        var output = Uninitialized(Shape);
        var y = output._data;
        if (tanhApproximation)
            for (var i = 0; i < y.Length; i++)
            {
                var v = _data[i];
                y[i] = 0.5f * v * (1f + MathF.Tanh(SqrtTwoOverPi * (v + GeluCubic * v * v * v)));
            }
        else
            GeluErf.Forward(_data, y);
        return Record(output, this, static (n, g) =>
        {
            var x = n.Inputs[0]._data;
            var dx = n.GradOf(0);
            if ((bool)n.Saved!)
                for (var i = 0; i < dx.Length; i++)
                {
                    var v = x[i];
                    var t = MathF.Tanh(SqrtTwoOverPi * (v + GeluCubic * v * v * v));
                    dx[i] += g[i] * (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * SqrtTwoOverPi * (1f + 3f * GeluCubic * v * v));
                }
            else GeluErf.AccumulateGradient(x, g, dx);
        }, tanhApproximation);
    }

    /// <summary>x·σ(x) (swish).</summary>
    public Tensor Silu()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Sigmoid(_data, output._data);
        TensorPrimitives.Multiply(output._data, _data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var x = n.Inputs[0]._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++)
            {
                var s = 1f / (1f + MathF.Exp(-x[i]));
                dx[i] += g[i] * s * (1f + x[i] * (1f - s));
            }
        });
    }

    /// <summary>Hyperbolic tangent.</summary>
    public Tensor Tanh()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Tanh(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var y = n.Output._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) dx[i] += g[i] * (1f - y[i] * y[i]);
        });
    }

    /// <summary>Logistic sigmoid 1/(1+e⁻ˣ).</summary>
    public Tensor Sigmoid()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Sigmoid(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var y = n.Output._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) dx[i] += g[i] * y[i] * (1f - y[i]);
        });
    }

    /// <summary>Softmax over <paramref name="dim"/>.</summary>
    public Tensor Softmax(int dim = -1) => SoftmaxCore(dim, log: false);

    /// <summary>Log-softmax over <paramref name="dim"/> (numerically stable).</summary>
    public Tensor LogSoftmax(int dim = -1) => SoftmaxCore(dim, log: true);

    private Tensor SoftmaxCore(int dim, bool log)
    {
        var d = Shapes.Dim(dim, Rank);
        var split = Shapes.Split(Shape, d);
        var output = Uninitialized(Shape);
        Span<float> row = split.Size <= 1024 ? stackalloc float[split.Size] : new float[split.Size];
        for (var o = 0; o < split.Outer; o++)
            for (var i = 0; i < split.Inner; i++)
            {
                Gather(_data, split, o, i, row);
                if (log) LogSoftmaxRow(row);
                else SoftmaxRow(row);
                Scatter(row, split, o, i, output._data, accumulate: false);
            }
        return Record(output, this, static (n, g) =>
        {
            var (d, log) = ((int, bool))n.Saved!;
            var split = Shapes.Split(n.Output.Shape, d);
            var y = new float[split.Size];
            var gr = new float[split.Size];
            var dx = n.GradOf(0);
            for (var o = 0; o < split.Outer; o++)
                for (var i = 0; i < split.Inner; i++)
                {
                    Gather(n.Output._data, split, o, i, y);
                    Gather(g, split, o, i, gr);
                    if (log)
                    {
                        // d/dx = g − softmax·Σg
                        var sum = TensorPrimitives.Sum(gr);
                        for (var k = 0; k < y.Length; k++) gr[k] -= MathF.Exp(y[k]) * sum;
                    }
                    else
                    {
                        // d/dx = y·(g − Σ g·y)
                        var dot = TensorPrimitives.Dot(gr, y);
                        for (var k = 0; k < y.Length; k++) gr[k] = y[k] * (gr[k] - dot);
                    }
                    Scatter(gr, split, o, i, dx, accumulate: true);
                }
        }, (d, log));
    }

    private static void Gather(ReadOnlySpan<float> source, (int Outer, int Size, int Inner) split, int o, int i, Span<float> line)
    {
        if (split.Inner == 1)
        {
            source.Slice(o * split.Size, split.Size).CopyTo(line);
            return;
        }
        var start = o * split.Size * split.Inner + i;
        for (var k = 0; k < split.Size; k++) line[k] = source[start + k * split.Inner];
    }

    private static void Scatter(ReadOnlySpan<float> line, (int Outer, int Size, int Inner) split, int o, int i, Span<float> target, bool accumulate)
    {
        var start = o * split.Size * split.Inner + i;
        for (var k = 0; k < split.Size; k++)
        {
            ref var t = ref target[start + k * split.Inner];
            t = accumulate ? t + line[k] : line[k];
        }
    }

    /// <summary>Softmax of one row in place.</summary>
    internal static void SoftmaxRow(Span<float> row)
    {
        var max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max))
        {
            row.Fill(float.NaN);
            return;
        }
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        TensorPrimitives.Divide(row, TensorPrimitives.Sum(row), row);
    }

    /// <summary>Log-softmax of one row in place.</summary>
    internal static void LogSoftmaxRow(Span<float> row)
    {
        var max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        TensorPrimitives.Subtract(row, max + (float)Math.Log(sum), row);
    }
}
