using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>a + b with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Binary(Broadcasting.Op.Add, a, b);

    /// <summary>a − b with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Binary(Broadcasting.Op.Subtract, a, b);

    /// <summary>a · b element-wise with broadcasting.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Binary(Broadcasting.Op.Multiply, a, b);

    /// <summary>a / b element-wise with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Binary(Broadcasting.Op.Divide, a, b);

    /// <summary>x + s.</summary>
    public static Tensor operator +(Tensor x, float s) => Affine(x, 1f, s);

    /// <summary>s + x.</summary>
    public static Tensor operator +(float s, Tensor x) => Affine(x, 1f, s);

    /// <summary>x − s.</summary>
    public static Tensor operator -(Tensor x, float s) => Affine(x, 1f, -s);

    /// <summary>s − x.</summary>
    public static Tensor operator -(float s, Tensor x) => Affine(x, -1f, s);

    /// <summary>x · s.</summary>
    public static Tensor operator *(Tensor x, float s) => Affine(x, s, 0f);

    /// <summary>s · x.</summary>
    public static Tensor operator *(float s, Tensor x) => Affine(x, s, 0f);

    /// <summary>x / s.</summary>
    public static Tensor operator /(Tensor x, float s) => Affine(x, 1f / s, 0f);

    /// <summary>s / x.</summary>
    public static Tensor operator /(float s, Tensor x) => x.Pow(-1f) * s;

    /// <summary>−x.</summary>
    public static Tensor operator -(Tensor x) => Affine(x, -1f, 0f);

    private static Tensor Binary(Broadcasting.Op kind, Tensor a, Tensor b)
    {
        var shape = Shapes.Broadcast(a.Shape, b.Shape);
        var output = Uninitialized(shape);
        Broadcasting.Apply(kind, a._data, a.Shape, b._data, b.Shape, output._data, shape);
        return Record(output, a, b, kind switch
        {
            Broadcasting.Op.Add => static (n, g) => AddBackward(n, g, 1f),
            Broadcasting.Op.Subtract => static (n, g) => AddBackward(n, g, -1f),
            Broadcasting.Op.Multiply => MultiplyBackward,
            _ => DivideBackward,
        });
    }

    private static void AddBackward(GradNode n, ReadOnlySpan<float> g, float signB)
    {
        var shape = n.Output.Shape;
        if (n.Needs(0)) Broadcasting.AccumulateReduced(g, shape, n.GradOf(0), n.Inputs[0].Shape);
        if (!n.Needs(1)) return;
        if (signB > 0) Broadcasting.AccumulateReduced(g, shape, n.GradOf(1), n.Inputs[1].Shape);
        else
        {
            var negated = new float[g.Length];
            TensorPrimitives.Negate(g, negated);
            Broadcasting.AccumulateReduced(negated, shape, n.GradOf(1), n.Inputs[1].Shape);
        }
    }

    private static void MultiplyBackward(GradNode n, ReadOnlySpan<float> g)
    {
        Tensor a = n.Inputs[0], b = n.Inputs[1];
        var scratch = new float[g.Length];
        if (n.Needs(0)) AccumulateCombined(Broadcasting.Op.Multiply, g, n.Output.Shape, b, a, scratch);
        if (n.Needs(1)) AccumulateCombined(Broadcasting.Op.Multiply, g, n.Output.Shape, a, b, scratch);
    }

    private static void DivideBackward(GradNode n, ReadOnlySpan<float> g)
    {
        Tensor a = n.Inputs[0], b = n.Inputs[1];
        var scratch = new float[g.Length];
        if (n.Needs(0)) AccumulateCombined(Broadcasting.Op.Divide, g, n.Output.Shape, b, a, scratch);
        if (!n.Needs(1)) return;
        // d(a/b)/db = −(a/b)/b = −out/b
        var negated = new float[g.Length];
        TensorPrimitives.Multiply(g, n.Output._data, negated);
        TensorPrimitives.Negate(negated, negated);
        AccumulateCombined(Broadcasting.Op.Divide, negated, n.Output.Shape, b, b, scratch);
    }

    /// <summary>target.grad += (left ∘ right) summed back to target's shape.</summary>
    private static void AccumulateCombined(Broadcasting.Op op, ReadOnlySpan<float> left, int[] shape, Tensor right, Tensor target, float[] scratch)
    {
        Broadcasting.Apply(op, left, shape, right._data, right.Shape, scratch, shape);
        Broadcasting.AccumulateReduced(scratch, shape, target.GradSpan(), target.Shape);
    }

    /// <summary>scale · x + shift.</summary>
    private static Tensor Affine(Tensor x, float scale, float shift)
    {
        var output = Uninitialized(x.Shape);
        TensorPrimitives.Multiply(x._data, scale, output._data);
        if (shift != 0f) TensorPrimitives.Add(output._data, shift, output._data);
        return Record(output, x, static (n, g) =>
        {
            var dx = n.GradOf(0);
            TensorPrimitives.MultiplyAdd(g, (float)n.Saved!, dx, dx);
        }, scale);
    }

    /// <summary>eˣ element-wise.</summary>
    public Tensor Exp()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Exp(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var dx = n.GradOf(0);
            TensorPrimitives.MultiplyAdd(g, n.Output._data, dx, dx);
        });
    }

    /// <summary>Natural logarithm element-wise.</summary>
    public Tensor Log()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Log(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var q = new float[g.Length];
            TensorPrimitives.Divide(g, n.Inputs[0]._data, q);
            n.Inputs[0].AccumulateGrad(q);
        });
    }

    /// <summary>Square root element-wise.</summary>
    public Tensor Sqrt()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Sqrt(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var q = new float[g.Length];
            TensorPrimitives.Divide(g, n.Output._data, q);
            var dx = n.GradOf(0);
            TensorPrimitives.MultiplyAdd(q, 0.5f, dx, dx);
        });
    }

    /// <summary>xᵖ element-wise for a constant exponent.</summary>
    public Tensor Pow(float exponent)
    {
        var output = Uninitialized(Shape);
        if (exponent == 2f) TensorPrimitives.Multiply(_data, _data, output._data);
        else TensorPrimitives.Pow(_data, exponent, output._data);
        return Record(output, this, static (n, g) =>
        {
            var p = (float)n.Saved!;
            var x = n.Inputs[0]._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) dx[i] += g[i] * p * (p == 2f ? x[i] : MathF.Pow(x[i], p - 1f));
        }, exponent);
    }

    /// <summary>|x| element-wise (gradient sign(x), 0 at 0).</summary>
    public Tensor Abs()
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Abs(_data, output._data);
        return Record(output, this, static (n, g) =>
        {
            var x = n.Inputs[0]._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) dx[i] += x[i] > 0 ? g[i] : x[i] < 0 ? -g[i] : 0f;
        });
    }

    /// <summary>Values limited to [min, max] (gradient passes where not clamped).</summary>
    public Tensor Clamp(float min, float max)
    {
        var output = Uninitialized(Shape);
        TensorPrimitives.Clamp(_data, min, max, output._data);
        return Record(output, this, static (n, g) =>
        {
            var (lo, hi) = ((float, float))n.Saved!;
            var x = n.Inputs[0]._data;
            var dx = n.GradOf(0);
            for (var i = 0; i < dx.Length; i++) if (x[i] >= lo && x[i] <= hi) dx[i] += g[i];
        }, (min, max));
    }
}
