using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

/// <summary>Work done on one innermost row of a broadcast walk: elements out[o..o+n), a[oa + i·sa], b[ob + i·sb] with sa, sb ∈ {0, 1}.</summary>
internal interface IBroadcastRow
{
    void Row(int outOffset, int aOffset, int bOffset, int length, int aStride, int bStride);
}

/// <summary>Element-wise binary ops between tensors of broadcastable shapes, and the reduction of a gradient back to an operand's shape.</summary>
internal static class Broadcasting
{
    public enum Op { Add, Subtract, Multiply, Divide }

    /// <summary>Walks <paramref name="outShape"/> row by row (adjacent dimensions merged where both operands allow) with operand strides <paramref name="sa"/>, <paramref name="sb"/>.</summary>
    public static void Walk<T>(ReadOnlySpan<int> outShape, ReadOnlySpan<int> sa, ReadOnlySpan<int> sb, ref T op) where T : IBroadcastRow, allows ref struct
    {
        var rank = outShape.Length;
        if (rank == 0)
        {
            op.Row(0, 0, 0, 1, 0, 0);
            return;
        }
        Span<int> shape = stackalloc int[rank];
        Span<int> strideA = stackalloc int[rank];
        Span<int> strideB = stackalloc int[rank];
        // Merge dimension d into d+1 when both operands step through them as one run.
        var n = 0;
        for (var d = 0; d < rank; d++)
        {
            if (n > 0 && strideA[n - 1] == sa[d] * outShape[d] && strideB[n - 1] == sb[d] * outShape[d])
            {
                shape[n - 1] *= outShape[d];
                strideA[n - 1] = sa[d];
                strideB[n - 1] = sb[d];
                continue;
            }
            shape[n] = outShape[d];
            strideA[n] = sa[d];
            strideB[n] = sb[d];
            n++;
        }
        var length = shape[n - 1];
        if (length == 0) return;
        var total = Shapes.Count(shape[..n]);
        Span<int> index = stackalloc int[n];
        index.Clear();
        int oa = 0, ob = 0;
        for (var o = 0; o < total; o += length)
        {
            op.Row(o, oa, ob, length, strideA[n - 1], strideB[n - 1]);
            for (var d = n - 2; d >= 0; d--)
            {
                index[d]++;
                oa += strideA[d];
                ob += strideB[d];
                if (index[d] < shape[d]) break;
                oa -= strideA[d] * shape[d];
                ob -= strideB[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>out = a ∘ b with broadcasting; <paramref name="outShape"/> is the broadcast shape.</summary>
    public static void Apply(Op kind, ReadOnlySpan<float> a, ReadOnlySpan<int> aShape, ReadOnlySpan<float> b, ReadOnlySpan<int> bShape, Span<float> output, ReadOnlySpan<int> outShape)
    {
        if (Shapes.Equal(aShape, bShape))
        {
            Elementwise(kind, a, b, output);
            return;
        }
        var row = new BinaryRow { Kind = kind, A = a, B = b, Out = output };
        Walk(outShape, Shapes.BroadcastStrides(aShape, outShape), Shapes.BroadcastStrides(bShape, outShape), ref row);
    }

    /// <summary>target += <paramref name="gradient"/> summed over the dimensions where the target's shape was broadcast.</summary>
    public static void AccumulateReduced(ReadOnlySpan<float> gradient, ReadOnlySpan<int> gradientShape, Span<float> target, ReadOnlySpan<int> targetShape)
    {
        if (target.Length == gradient.Length)
        {
            TensorPrimitives.Add(target, gradient, target);
            return;
        }
        var row = new ReduceRow { Gradient = gradient, Target = target };
        Walk(gradientShape, Shapes.Strides(gradientShape), Shapes.BroadcastStrides(targetShape, gradientShape), ref row);
    }

    /// <summary>target += source read with broadcasting from <paramref name="sourceShape"/> to <paramref name="targetShape"/>.</summary>
    public static void AccumulateExpanded(ReadOnlySpan<float> source, ReadOnlySpan<int> sourceShape, Span<float> target, ReadOnlySpan<int> targetShape)
    {
        if (target.Length == source.Length)
        {
            TensorPrimitives.Add(target, source, target);
            return;
        }
        var row = new ExpandRow { Source = source, Target = target };
        Walk(targetShape, Shapes.Strides(targetShape), Shapes.BroadcastStrides(sourceShape, targetShape), ref row);
    }

    private static void Elementwise(Op kind, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> o)
    {
        switch (kind)
        {
            case Op.Add: TensorPrimitives.Add(a, b, o); break;
            case Op.Subtract: TensorPrimitives.Subtract(a, b, o); break;
            case Op.Multiply: TensorPrimitives.Multiply(a, b, o); break;
            default: TensorPrimitives.Divide(a, b, o); break;
        }
    }

    private ref struct BinaryRow : IBroadcastRow
    {
        public Op Kind;
        public ReadOnlySpan<float> A, B;
        public Span<float> Out;

        public readonly void Row(int o, int oa, int ob, int n, int sa, int sb)
        {
            var dst = Out.Slice(o, n);
            if (sa == 1 && sb == 1) Elementwise(Kind, A.Slice(oa, n), B.Slice(ob, n), dst);
            else if (sa == 1)
            {
                var s = B[ob];
                var x = A.Slice(oa, n);
                switch (Kind)
                {
                    case Op.Add: TensorPrimitives.Add(x, s, dst); break;
                    case Op.Subtract: TensorPrimitives.Subtract(x, s, dst); break;
                    case Op.Multiply: TensorPrimitives.Multiply(x, s, dst); break;
                    default: TensorPrimitives.Divide(x, s, dst); break;
                }
            }
            else if (sb == 1)
            {
                var s = A[oa];
                var y = B.Slice(ob, n);
                switch (Kind)
                {
                    case Op.Add: TensorPrimitives.Add(y, s, dst); break;
                    case Op.Subtract: TensorPrimitives.Subtract(s, y, dst); break;
                    case Op.Multiply: TensorPrimitives.Multiply(y, s, dst); break;
                    default: TensorPrimitives.Divide(s, y, dst); break;
                }
            }
            else
            {
                float x = A[oa], y = B[ob];
                dst.Fill(Kind switch { Op.Add => x + y, Op.Subtract => x - y, Op.Multiply => x * y, _ => x / y });
            }
        }
    }

    private ref struct ReduceRow : IBroadcastRow
    {
        public ReadOnlySpan<float> Gradient;
        public Span<float> Target;

        public readonly void Row(int o, int oa, int ob, int n, int sa, int sb)
        {
            var g = Gradient.Slice(oa, n);
            if (sb == 1)
            {
                var t = Target.Slice(ob, n);
                TensorPrimitives.Add(t, g, t);
            }
            else Target[ob] += TensorPrimitives.Sum(g);
        }
    }

    private ref struct ExpandRow : IBroadcastRow
    {
        public ReadOnlySpan<float> Source;
        public Span<float> Target;

        public readonly void Row(int o, int oa, int ob, int n, int sa, int sb)
        {
            var t = Target.Slice(oa, n);
            if (sb == 1) TensorPrimitives.Add(t, Source.Slice(ob, n), t);
            else TensorPrimitives.Add(t, Source[ob], t);
        }
    }
}
