namespace Moxing.Core.Autograd;

/// <summary>Shape arithmetic: element counts, dimension indices, strides and broadcasting (PyTorch rules).</summary>
public static class Shapes
{
    /// <summary>Number of elements of <paramref name="shape"/>.</summary>
    public static int Count(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape");
            n *= d;
            if (n > int.MaxValue) throw new ArgumentException("tensor has more than 2^31 elements");
        }
        return (int)n;
    }

    /// <summary>Normalizes a possibly negative dimension index for a tensor of <paramref name="rank"/>.</summary>
    public static int Dim(int dim, int rank)
    {
        var d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= Math.Max(rank, 1))
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for a tensor of rank {rank}");
        return d;
    }

    /// <summary>Row-major strides of <paramref name="shape"/>.</summary>
    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        var acc = 1;
        for (var i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /// <summary>Flat offset of a multi-dimensional index.</summary>
    public static int Offset(ReadOnlySpan<int> shape, ReadOnlySpan<int> index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"index has {index.Length} dimensions, the tensor {shape.Length}");
        var offset = 0;
        for (var i = 0; i < shape.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"index {index[i]} is out of range for dimension {i} of size {shape[i]}");
            offset = offset * shape[i] + index[i];
        }
        return offset;
    }

    /// <summary>The shape two shapes broadcast to.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var rank = Math.Max(a.Length, b.Length);
        var result = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            var db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes [{string.Join(", ", a.ToArray())}] and [{string.Join(", ", b.ToArray())}] cannot be broadcast");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Strides of <paramref name="shape"/> read as <paramref name="target"/> (right-aligned), with 0 where it is broadcast.</summary>
    public static int[] BroadcastStrides(ReadOnlySpan<int> shape, ReadOnlySpan<int> target)
    {
        var own = Strides(shape);
        var s = new int[target.Length];
        var shift = target.Length - shape.Length;
        for (var i = shift; i < target.Length; i++) s[i] = shape[i - shift] == 1 ? 0 : own[i - shift];
        return s;
    }

    /// <summary>True when both shapes are the same.</summary>
    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);

    /// <summary>Product of the dimensions before <paramref name="dim"/>, the dimension, and the product after it.</summary>
    public static (int Outer, int Size, int Inner) Split(ReadOnlySpan<int> shape, int dim)
    {
        var outer = 1;
        for (var i = 0; i < dim; i++) outer *= shape[i];
        var inner = 1;
        for (var i = dim + 1; i < shape.Length; i++) inner *= shape[i];
        return (outer, shape.Length == 0 ? 1 : shape[dim], inner);
    }

    /// <summary>Formats a shape as [a, b, c].</summary>
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
