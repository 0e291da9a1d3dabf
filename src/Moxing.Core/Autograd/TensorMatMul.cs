using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>Matrix product with PyTorch's matmul rules: [..., M, K]·[..., K, N] with broadcast batch dimensions; a 1-D operand is a vector.</summary>
    public static Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0) throw new ArgumentException("MatMul needs tensors of rank 1 or more");
        if (a.Rank == 1) return MatMul(a.Unsqueeze(0), b).Squeeze(-2);
        if (b.Rank == 1) return MatMul(a, b.Unsqueeze(1)).Squeeze(-1);
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k) throw new ArgumentException($"MatMul: {Shapes.Format(a.Shape)} · {Shapes.Format(b.Shape)} inner dimensions differ");
        var plan = BatchPlan.Create(a.Shape[..^2], b.Shape[..^2]);
        var output = Uninitialized([.. plan.Shape, m, n]);
        var parallelBatches = plan.Count > 1 && (long)m * n * k < 1L << 18;
        if (parallelBatches)
            Parallel.For(0, plan.Count, i => Gemm.Multiply(a._data.AsSpan(plan.A[i] * m * k, m * k), false, b._data.AsSpan(plan.B[i] * k * n, k * n), false,
                output._data.AsSpan(i * m * n, m * n), m, n, k, accumulate: false, parallel: false));
        else
            for (var i = 0; i < plan.Count; i++)
                Gemm.Multiply(a._data.AsSpan(plan.A[i] * m * k, m * k), false, b._data.AsSpan(plan.B[i] * k * n, k * n), false,
                    output._data.AsSpan(i * m * n, m * n), m, n, k, accumulate: false);
        return Record(output, a, b, static (node, g) =>
        {
            var plan = (BatchPlan)node.Saved!;
            Tensor a = node.Inputs[0], b = node.Inputs[1];
            int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
            if (node.Needs(0))
            {
                var da = node.GradOf(0);
                for (var i = 0; i < plan.Count; i++)
                    Gemm.Multiply(g.Slice(i * m * n, m * n), false, b._data.AsSpan(plan.B[i] * k * n, k * n), true,
                        da.Slice(plan.A[i] * m * k, m * k), m, k, n, accumulate: true);
            }
            if (node.Needs(1))
            {
                var db = node.GradOf(1);
                for (var i = 0; i < plan.Count; i++)
                    Gemm.Multiply(a._data.AsSpan(plan.A[i] * m * k, m * k), true, g.Slice(i * m * n, m * n), false,
                        db.Slice(plan.B[i] * k * n, k * n), k, n, m, accumulate: true);
            }
        }, plan);
    }

    /// <summary>For each output batch entry, which matrix of A and of B it multiplies (broadcasting the batch dimensions).</summary>
    private sealed class BatchPlan
    {
        public required int[] Shape { get; init; }
        public required int[] A { get; init; }
        public required int[] B { get; init; }
        public int Count => A.Length;

        public static BatchPlan Create(int[] aBatch, int[] bBatch)
        {
            var shape = Shapes.Broadcast(aBatch, bBatch);
            var count = Shapes.Count(shape);
            int[] sa = Shapes.BroadcastStrides(aBatch, shape), sb = Shapes.BroadcastStrides(bBatch, shape);
            int[] ia = new int[count], ib = new int[count];
            var index = new int[shape.Length];
            for (var i = 0; i < count; i++)
            {
                int oa = 0, ob = 0;
                for (var d = 0; d < shape.Length; d++)
                {
                    oa += index[d] * sa[d];
                    ob += index[d] * sb[d];
                }
                ia[i] = oa;
                ib[i] = ob;
                for (var d = shape.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) break;
                    index[d] = 0;
                }
            }
            return new BatchPlan { Shape = shape, A = ia, B = ib };
        }
    }

    /// <summary>x·Wᵀ + b for x [..., in], W [out, in], b [out] (PyTorch's F.linear).</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException($"Linear: input {Shapes.Format(x.Shape)} does not fit weight {Shapes.Format(weight.Shape)}");
        int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        if (bias != null && bias.Count != outFeatures) throw new ArgumentException($"Linear: bias has {bias.Count} values, expected {outFeatures}");
        var rows = x.Count / Math.Max(inFeatures, 1);
        var shape = (int[])x.Shape.Clone();
        shape[^1] = outFeatures;
        var output = Zeros(shape);
        var y = output._data.AsSpan();
        if (bias != null)
            for (var r = 0; r < rows; r++) bias._data.CopyTo(y.Slice(r * outFeatures, outFeatures));
        Gemm.Multiply(x._data, false, weight._data, true, y, rows, outFeatures, inFeatures, accumulate: true);
        return Record(output, [x, weight, bias], static (node, g) =>
        {
            Tensor x = node.Inputs[0], w = node.Inputs[1];
            int outFeatures = w.Shape[0], inFeatures = w.Shape[1];
            var rows = x.Count / Math.Max(inFeatures, 1);
            if (node.Needs(0)) Gemm.Multiply(g, false, w._data, false, node.GradOf(0), rows, inFeatures, outFeatures, accumulate: true);
            if (node.Needs(1)) Gemm.Multiply(g, true, x._data, false, node.GradOf(1), outFeatures, inFeatures, rows, accumulate: true);
            if (node.Needs(2))
            {
                var db = node.GradOf(2);
                for (var r = 0; r < rows; r++) TensorPrimitives.Add(db, g.Slice(r * outFeatures, outFeatures), db);
            }
        });
    }
}
