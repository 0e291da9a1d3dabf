using System.Numerics.Tensors;
using System.Text;

namespace Moxing.Core.Autograd;

/// <summary>A contiguous float32 tensor that can record the operations producing it, for reverse-mode autograd.</summary>
/// <remarks>Shapes are outermost first, as PyTorch. Reshapes share data; every other op writes a new tensor.</remarks>
public sealed partial class Tensor
{
    private readonly float[] _data;
    private bool _requiresGrad;

    /// <summary>Wraps <paramref name="data"/> (not copied) with <paramref name="shape"/>.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        var count = Shapes.Count(shape);
        if (data.Length != count)
            throw new ArgumentException($"shape [{string.Join(", ", shape)}] needs {count} values, got {data.Length}");
        _data = data;
        Shape = shape;
    }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Number of elements.</summary>
    public int Count => _data.Length;

    /// <summary>The values (row-major); writing them bypasses autograd.</summary>
    public Span<float> Data => _data;

    /// <summary>The backing array, shared by reshaped views.</summary>
    public float[] Array => _data;

    /// <summary>The accumulated gradient (leaves after <see cref="Backward(Tensor?)"/>), or null.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>True when operations on this tensor are recorded so gradients can flow to it.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set
        {
            if (!value && GradFn != null)
                throw new InvalidOperationException("only leaf tensors can stop requiring grad; use Detach()");
            _requiresGrad = value;
        }
    }

    /// <summary>True for tensors made by the user (not by a recorded op).</summary>
    public bool IsLeaf => GradFn == null;

    /// <summary>Keep this non-leaf tensor's gradient after backward.</summary>
    public bool RetainsGrad { get; private set; }

    internal GradNode? GradFn { get; set; }

    /// <summary>Keeps the gradient of this intermediate tensor after backward (as PyTorch's retain_grad).</summary>
    public Tensor RetainGrad()
    {
        RetainsGrad = true;
        return this;
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Shape[Shapes.Dim(dim, Rank)];

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (_data.Length != 1) throw new InvalidOperationException($"Item() needs one element, the tensor has {_data.Length}");
        return _data[0];
    }

    /// <summary>The element at a multi-dimensional index.</summary>
    public float At(params int[] index) => _data[Shapes.Offset(Shape, index)];

    /// <summary>A copy of the values.</summary>
    public float[] ToArray() => (float[])_data.Clone();

    /// <summary>A tensor sharing this one's values, cut from the graph.</summary>
    public Tensor Detach() => new(_data, Shape);

    /// <summary>A copy of the values as a new leaf tensor.</summary>
    public Tensor Clone() => new(ToArray(), (int[])Shape.Clone());

    /// <summary>Marks this leaf as requiring grad and returns it.</summary>
    public Tensor RequireGrad(bool value = true)
    {
        RequiresGrad = value;
        return this;
    }

    /// <summary>Adds <paramref name="gradient"/> to <see cref="Grad"/> (allocated as zeros on first use).</summary>
    public void AccumulateGrad(ReadOnlySpan<float> gradient)
    {
        var g = GradSpan();
        TensorPrimitives.Add(g, gradient, g);
    }

    /// <summary>The gradient buffer, allocated as zeros on first use, for kernels that accumulate into it.</summary>
    internal Span<float> GradSpan()
    {
        Grad ??= new Tensor(new float[_data.Length], Shape);
        return Grad._data;
    }

    /// <summary>Sets the gradient to null (as PyTorch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad() => Grad = null;

    /// <summary>New tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[Shapes.Count(shape)], shape);

    /// <summary>New tensor whose values are not cleared, for op outputs that overwrite every element.</summary>
    internal static Tensor Uninitialized(params int[] shape) => new(GC.AllocateUninitializedArray<float>(Shapes.Count(shape)), shape);

    /// <summary>New tensor of ones.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>New tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var data = new float[Shapes.Count(shape)];
        System.Array.Fill(data, value);
        return new(data, shape);
    }

    /// <summary>A zero-dimensional tensor.</summary>
    public static Tensor Scalar(float value) => new([value]);

    /// <summary>A tensor copying <paramref name="values"/> with <paramref name="shape"/>.</summary>
    public static Tensor From(ReadOnlySpan<float> values, params int[] shape) => new(values.ToArray(), shape);

    /// <summary>0, 1, …, n-1 as floats.</summary>
    public static Tensor Arange(int n)
    {
        var data = new float[n];
        for (var i = 0; i < n; i++) data[i] = i;
        return new(data, n);
    }

    /// <summary>Values drawn uniformly from [low, high).</summary>
    public static Tensor Uniform(Random rng, float low, float high, params int[] shape)
    {
        var t = Zeros(shape);
        t.FillUniform(rng, low, high);
        return t;
    }

    /// <summary>Values drawn from a normal distribution.</summary>
    public static Tensor Normal(Random rng, float mean, float std, params int[] shape)
    {
        var t = Zeros(shape);
        t.FillNormal(rng, mean, std);
        return t;
    }

    /// <summary>Overwrites the values with draws from U[low, high).</summary>
    public void FillUniform(Random rng, float low, float high)
    {
        for (var i = 0; i < _data.Length; i++) _data[i] = low + (float)rng.NextDouble() * (high - low);
    }

    /// <summary>Overwrites the values with draws from N(mean, std²) (Box–Muller).</summary>
    public void FillNormal(Random rng, float mean, float std)
    {
        for (var i = 0; i < _data.Length; i += 2)
        {
            var u1 = 1.0 - rng.NextDouble();
            var u2 = rng.NextDouble();
            var r = Math.Sqrt(-2.0 * Math.Log(u1));
            _data[i] = mean + std * (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < _data.Length) _data[i + 1] = mean + std * (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("tensor[").Append(string.Join(", ", Shape)).Append("](");
        for (var i = 0; i < Math.Min(_data.Length, 8); i++) sb.Append(i == 0 ? "" : ", ").Append(_data[i].ToString("G6"));
        if (_data.Length > 8) sb.Append(", …");
        sb.Append(')');
        if (GradFn != null) sb.Append(" grad_fn");
        else if (RequiresGrad) sb.Append(" requires_grad");
        return sb.ToString();
    }
}
