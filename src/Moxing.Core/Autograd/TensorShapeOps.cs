using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>The same values with another shape (one dimension may be −1); shares data.</summary>
    public Tensor Reshape(params int[] shape)
    {
        var resolved = (int[])shape.Clone();
        var unknown = -1;
        var known = 1;
        for (var i = 0; i < resolved.Length; i++)
        {
            if (resolved[i] == -1)
            {
                if (unknown >= 0) throw new ArgumentException("only one dimension can be -1");
                unknown = i;
            }
            else known *= resolved[i];
        }
        if (unknown >= 0) resolved[unknown] = known == 0 ? 0 : Count / known;
        if (Shapes.Count(resolved) != Count)
            throw new ArgumentException($"cannot reshape {Shapes.Format(Shape)} ({Count} values) to {Shapes.Format(shape)}");
        return Record(new Tensor(_data, resolved), this, static (n, g) => n.Inputs[0].AccumulateGrad(g));
    }

    /// <summary>Same as <see cref="Reshape"/> (tensors are always contiguous).</summary>
    public Tensor View(params int[] shape) => Reshape(shape);

    /// <summary>Merges dimensions <paramref name="startDim"/>..<paramref name="endDim"/> into one.</summary>
    public Tensor Flatten(int startDim = 0, int endDim = -1)
    {
        if (Rank == 0) return Reshape(1);
        int s = Shapes.Dim(startDim, Rank), e = Shapes.Dim(endDim, Rank);
        var shape = new List<int>();
        for (var i = 0; i < s; i++) shape.Add(Shape[i]);
        var merged = 1;
        for (var i = s; i <= e; i++) merged *= Shape[i];
        shape.Add(merged);
        for (var i = e + 1; i < Rank; i++) shape.Add(Shape[i]);
        return Reshape([.. shape]);
    }

    /// <summary>Inserts a dimension of size 1 at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(int dim)
    {
        var d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for unsqueeze of rank {Rank}");
        var shape = new List<int>(Shape);
        shape.Insert(d, 1);
        return Reshape([.. shape]);
    }

    /// <summary>Removes dimension <paramref name="dim"/>, which must have size 1.</summary>
    public Tensor Squeeze(int dim)
    {
        var d = Shapes.Dim(dim, Rank);
        if (Shape[d] != 1) throw new ArgumentException($"cannot squeeze dimension {dim} of size {Shape[d]}");
        return Reshape(Squeezed(Shape, d));
    }

    /// <summary>Swaps two dimensions (copies).</summary>
    public Tensor Transpose(int dim0, int dim1)
    {
        var perm = new int[Rank];
        for (var i = 0; i < Rank; i++) perm[i] = i;
        int a = Shapes.Dim(dim0, Rank), b = Shapes.Dim(dim1, Rank);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>The last two dimensions swapped (matrix transpose).</summary>
    public Tensor T => Transpose(-2, -1);

    /// <summary>Reorders dimensions: output dimension i is input dimension <paramref name="perm"/>[i] (copies).</summary>
    public Tensor Permute(params int[] perm)
    {
        if (perm.Length != Rank) throw new ArgumentException($"permutation has {perm.Length} entries, the tensor rank {Rank}");
        var seen = new bool[Rank];
        var p = new int[Rank];
        for (var i = 0; i < Rank; i++)
        {
            p[i] = Shapes.Dim(perm[i], Rank);
            if (seen[p[i]]) throw new ArgumentException("permutation repeats a dimension");
            seen[p[i]] = true;
        }
        var output = Uninitialized(PermutedShape(Shape, p));
        PermuteInto(_data, Shape, p, output._data, accumulate: false);
        return Record(output, this, static (n, g) =>
        {
            var p = (int[])n.Saved!;
            var inverse = new int[p.Length];
            for (var i = 0; i < p.Length; i++) inverse[p[i]] = i;
            PermuteInto(g, n.Output.Shape, inverse, n.GradOf(0), accumulate: true);
        }, p);
    }

    private static int[] PermutedShape(int[] shape, int[] p)
    {
        var s = new int[p.Length];
        for (var i = 0; i < p.Length; i++) s[i] = shape[p[i]];
        return s;
    }

    private static void PermuteInto(ReadOnlySpan<float> source, int[] shape, int[] p, Span<float> target, bool accumulate)
    {
        var strides = Shapes.Strides(shape);
        var outShape = PermutedShape(shape, p);
        var read = new int[p.Length];
        for (var i = 0; i < p.Length; i++) read[i] = strides[p[i]];
        var row = new GatherRow { Source = source, Target = target, Accumulate = accumulate };
        Broadcasting.Walk(outShape, read, new int[p.Length], ref row);
    }

    private ref struct GatherRow : IBroadcastRow
    {
        public ReadOnlySpan<float> Source;
        public Span<float> Target;
        public bool Accumulate;

        public readonly void Row(int o, int oa, int ob, int n, int sa, int sb)
        {
            var t = Target.Slice(o, n);
            if (sa == 1)
            {
                if (Accumulate) TensorPrimitives.Add(t, Source.Slice(oa, n), t);
                else Source.Slice(oa, n).CopyTo(t);
                return;
            }
            if (Accumulate) for (var i = 0; i < n; i++) t[i] += Source[oa + i * sa];
            else for (var i = 0; i < n; i++) t[i] = Source[oa + i * sa];
        }
    }

    /// <summary>Elements <paramref name="start"/>..start+length−1 of dimension <paramref name="dim"/> (copies).</summary>
    public Tensor Narrow(int dim, int start, int length)
    {
        var d = Shapes.Dim(dim, Rank);
        if (start < 0) start += Shape[d];
        if (start < 0 || length < 0 || start + length > Shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"slice {start}..{start + length} is out of range for dimension {dim} of size {Shape[d]}");
        var shape = (int[])Shape.Clone();
        shape[d] = length;
        var output = Uninitialized(shape);
        CopyBlocks(_data, Shape[d], output._data, length, Shapes.Split(Shape, d), start, toSlice: true, accumulate: false);
        return Record(output, this, static (n, g) =>
        {
            var (d, start) = ((int, int))n.Saved!;
            var shape = n.Inputs[0].Shape;
            CopyBlocks(g, shape[d], n.GradOf(0), n.Output.Shape[d], Shapes.Split(shape, d), start, toSlice: false, accumulate: true);
        }, (d, start));
    }

    /// <summary>Elements start..end−1 of dimension <paramref name="dim"/> (PyTorch's x[..., start:end, ...]).</summary>
    public Tensor Slice(int dim, int start, int end)
    {
        var size = Size(dim);
        if (start < 0) start += size;
        if (end < 0) end += size;
        end = Math.Min(end, size);
        return Narrow(dim, start, Math.Max(0, end - start));
    }

    /// <summary>Index <paramref name="index"/> of dimension <paramref name="dim"/>, that dimension removed.</summary>
    public Tensor Select(int dim, int index) => Narrow(dim, index, 1).Squeeze(dim);

    /// <summary>Copies between a whole [outer, fullSize, inner] tensor and a [outer, sliceSize, inner] slice starting at <paramref name="start"/>.</summary>
    private static void CopyBlocks(ReadOnlySpan<float> source, int fullSize, Span<float> target, int sliceSize, (int Outer, int Size, int Inner) split, int start, bool toSlice, bool accumulate)
    {
        var inner = split.Inner;
        var block = sliceSize * inner;
        for (var o = 0; o < split.Outer; o++)
        {
            var full = (o * fullSize + start) * inner;
            var slice = o * block;
            var from = toSlice ? source.Slice(full, block) : source.Slice(slice, block);
            var to = toSlice ? target.Slice(slice, block) : target.Slice(full, block);
            if (accumulate) TensorPrimitives.Add(to, from, to);
            else from.CopyTo(to);
        }
    }

    /// <summary>Joins tensors along an existing dimension; all other dimensions must agree.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Concat needs at least one tensor");
        var first = tensors[0];
        var d = Shapes.Dim(dim, first.Rank);
        var shape = (int[])first.Shape.Clone();
        shape[d] = 0;
        foreach (var t in tensors)
        {
            if (t.Rank != first.Rank) throw new ArgumentException("Concat needs tensors of the same rank");
            for (var i = 0; i < t.Rank; i++)
                if (i != d && t.Shape[i] != first.Shape[i])
                    throw new ArgumentException($"Concat: shapes {Shapes.Format(first.Shape)} and {Shapes.Format(t.Shape)} differ outside dimension {dim}");
            shape[d] += t.Shape[d];
        }
        var output = Uninitialized(shape);
        var split = Shapes.Split(shape, d);
        var offset = 0;
        foreach (var t in tensors)
        {
            CopyBlocks(t._data, shape[d], output._data, t.Shape[d], split, offset, toSlice: false, accumulate: false);
            offset += t.Shape[d];
        }
        return Record(output, [.. tensors], static (n, g) =>
        {
            var d = (int)n.Saved!;
            var shape = n.Output.Shape;
            var split = Shapes.Split(shape, d);
            var offset = 0;
            for (var i = 0; i < n.Inputs.Length; i++)
            {
                var size = n.Inputs[i].Shape[d];
                if (n.Needs(i)) CopyBlocks(g, shape[d], n.GradOf(i), size, split, offset, toSlice: true, accumulate: true);
                offset += size;
            }
        }, d);
    }

    /// <summary>Joins same-shaped tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, int dim)
    {
        if (tensors.Count == 0) throw new ArgumentException("Stack needs at least one tensor");
        var parts = new Tensor[tensors.Count];
        for (var i = 0; i < parts.Length; i++) parts[i] = tensors[i].Unsqueeze(dim);
        return Concat(parts, dim < 0 ? dim + tensors[0].Rank + 1 : dim);
    }

    /// <summary>Splits dimension <paramref name="dim"/> into pieces of <paramref name="size"/> (the last may be shorter).</summary>
    public Tensor[] Split(int size, int dim)
    {
        var total = Size(dim);
        var parts = new Tensor[(total + size - 1) / size];
        for (var i = 0; i < parts.Length; i++) parts[i] = Narrow(dim, i * size, Math.Min(size, total - i * size));
        return parts;
    }

    /// <summary>Entries <paramref name="indices"/> of dimension <paramref name="dim"/>, in that order (PyTorch's index_select).</summary>
    public Tensor IndexSelect(int dim, ReadOnlySpan<int> indices)
    {
        var d = Shapes.Dim(dim, Rank);
        var (outer, size, inner) = Shapes.Split(Shape, d);
        foreach (var i in indices)
            if ((uint)i >= (uint)size) throw new IndexOutOfRangeException($"index {i} is out of range for dimension {dim} of size {size}");
        var shape = (int[])Shape.Clone();
        shape[d] = indices.Length;
        var output = Uninitialized(shape);
        var o = output._data.AsSpan();
        for (var b = 0; b < outer; b++)
            for (var k = 0; k < indices.Length; k++)
                _data.AsSpan((b * size + indices[k]) * inner, inner).CopyTo(o.Slice((b * indices.Length + k) * inner, inner));
        return Record(output, this, static (n, g) =>
        {
            var (d, idx) = ((int, int[]))n.Saved!;
            var (outer, size, inner) = Shapes.Split(n.Inputs[0].Shape, d);
            var dx = n.GradOf(0);
            for (var b = 0; b < outer; b++)
                for (var k = 0; k < idx.Length; k++)
                {
                    var t = dx.Slice((b * size + idx[k]) * inner, inner);
                    TensorPrimitives.Add(t, g.Slice((b * idx.Length + k) * inner, inner), t);
                }
        }, (d, indices.ToArray()));
    }

    /// <summary>Rows <paramref name="ids"/> of this [vocab, dim] table, shaped <paramref name="idsShape"/> + [dim]; the row <paramref name="paddingIndex"/> gets no gradient.</summary>
    public Tensor Embedding(ReadOnlySpan<int> ids, int[] idsShape, int? paddingIndex = null)
    {
        if (Rank != 2) throw new ArgumentException($"an embedding table is [vocab, dim], got {Shapes.Format(Shape)}");
        if (Shapes.Count(idsShape) != ids.Length) throw new ArgumentException($"ids shape {Shapes.Format(idsShape)} does not hold {ids.Length} ids");
        var rows = IndexSelect(0, ids);
        if (paddingIndex is { } pad && rows.GradFn != null)
        {
            var node = rows.GradFn;
            var inner = node.Backward;
            rows.GradFn = new GradNode(node.Inputs, rows, (n, g) =>
            {
                var masked = g.ToArray();
                var (_, idx) = ((int, int[]))n.Saved!;
                var dim = Shape[1];
                for (var k = 0; k < idx.Length; k++) if (idx[k] == pad) System.Array.Clear(masked, k * dim, dim);
                inner(n, masked);
            }, node.Saved);
        }
        return rows.Reshape([.. idsShape, Shape[1]]);
    }
}
