using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>Sum of all elements, as a zero-dimensional tensor.</summary>
    public Tensor Sum()
    {
        var output = Scalar(TensorPrimitives.Sum(_data));
        return Record(output, this, static (n, g) =>
        {
            var dx = n.GradOf(0);
            TensorPrimitives.Add(dx, g[0], dx);
        });
    }

    /// <summary>Mean of all elements, as a zero-dimensional tensor.</summary>
    public Tensor Mean() => Sum() * (1f / Math.Max(Count, 1));

    /// <summary>Sum over <paramref name="dims"/> (negative counts from the end), keeping them as size 1 when <paramref name="keepDim"/>.</summary>
    public Tensor Sum(int[] dims, bool keepDim = false)
    {
        var kept = ReducedShape(dims, out var squeezed);
        var output = Zeros(kept);
        Broadcasting.AccumulateReduced(_data, Shape, output._data, kept);
        var result = Record(output, this, static (n, g) =>
            Broadcasting.AccumulateExpanded(g, n.Output.Shape, n.GradOf(0), n.Inputs[0].Shape));
        return keepDim ? result : result.Reshape(squeezed);
    }

    /// <summary>Sum over one dimension.</summary>
    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor Mean(int[] dims, bool keepDim = false)
    {
        var count = 1;
        foreach (var d in dims) count *= Shape[Shapes.Dim(d, Rank)];
        return Sum(dims, keepDim) * (1f / Math.Max(count, 1));
    }

    /// <summary>Mean over one dimension.</summary>
    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    /// <summary>Maximum over one dimension and where it is (the first such index); the gradient flows to that element.</summary>
    public (Tensor Values, int[] Indices) Max(int dim, bool keepDim = false)
    {
        var d = Shapes.Dim(dim, Rank);
        var (outer, size, inner) = Shapes.Split(Shape, d);
        if (size == 0) throw new ArgumentException($"Max over empty dimension {dim}");
        var values = new float[outer * inner];
        var indices = new int[outer * inner];
        for (var o = 0; o < outer; o++)
        {
            for (var i = 0; i < inner; i++)
            {
                var baseOffset = o * size * inner + i;
                float best = _data[baseOffset];
                var arg = 0;
                for (var k = 1; k < size; k++)
                {
                    var v = _data[baseOffset + k * inner];
                    if (v > best || float.IsNaN(v) && !float.IsNaN(best))
                    {
                        best = v;
                        arg = k;
                    }
                }
                values[o * inner + i] = best;
                indices[o * inner + i] = arg;
            }
        }
        var shape = (int[])Shape.Clone();
        shape[d] = 1;
        var output = new Tensor(values, keepDim ? shape : Squeezed(Shape, d));
        Record(output, this, static (n, g) =>
        {
            var (dim, idx) = ((int, int[]))n.Saved!;
            var (outer, size, inner) = Shapes.Split(n.Inputs[0].Shape, dim);
            var dx = n.GradOf(0);
            for (var o = 0; o < outer; o++)
                for (var i = 0; i < inner; i++)
                    dx[(o * size + idx[o * inner + i]) * inner + i] += g[o * inner + i];
        }, (d, indices));
        return (output, indices);
    }

    /// <summary>Maximum of all elements.</summary>
    public Tensor Max() => Reshape(Count).Max(0).Values;

    private int[] ReducedShape(int[] dims, out int[] squeezed)
    {
        var kept = (int[])Shape.Clone();
        var drop = new bool[Rank];
        foreach (var dim in dims)
        {
            var d = Shapes.Dim(dim, Rank);
            kept[d] = 1;
            drop[d] = true;
        }
        var list = new List<int>(Rank);
        for (var i = 0; i < Rank; i++) if (!drop[i]) list.Add(Shape[i]);
        squeezed = [.. list];
        return kept;
    }

    private static int[] Squeezed(int[] shape, int dim)
    {
        var s = new int[shape.Length - 1];
        for (int i = 0, j = 0; i < shape.Length; i++) if (i != dim) s[j++] = shape[i];
        return s;
    }
}
