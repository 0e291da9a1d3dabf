using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

/// <summary>Dense float32 matrix product C (+)= op(A)·op(B) on row-major contiguous matrices, register-blocked and split over threads.</summary>
public static unsafe class Gemm
{
    private const int Rows = 4;
    private const long ParallelWork = 1L << 18;

    /// <summary>C[m,n] = op(A)·op(B) (or += when <paramref name="accumulate"/>); op(A) is A[m,k], or Aᵀ of A stored [k,m]; op(B) is B[k,n], or Bᵀ of B stored [n,k].</summary>
    public static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c, int m, int n, int k, bool accumulate, bool parallel = true)
    {
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Gemm buffers too small for m={m} n={n} k={k}");
        if (!accumulate) c[..(m * n)].Clear();
        if (m == 0 || n == 0 || k == 0) return;
        float[]? aT = null, bT = null;
        try
        {
            if (transposeA)
            {
                aT = ArrayPool<float>.Shared.Rent(m * k);
                Transpose(a, k, m, aT);
                a = aT.AsSpan(0, m * k);
            }
            if (transposeB)
            {
                bT = ArrayPool<float>.Shared.Rent(k * n);
                Transpose(b, n, k, bT);
                b = bT.AsSpan(0, k * n);
            }
            fixed (float* pa = a, pb = b, pc = c)
            {
                var work = (long)m * n * k;
                var blocks = (m + Rows - 1) / Rows;
                if (parallel && work >= ParallelWork && blocks > 1 && Environment.ProcessorCount > 1)
                {
                    nint ia = (nint)pa, ib = (nint)pb, ic = (nint)pc;
                    var chunks = Math.Min(blocks, Environment.ProcessorCount * 4);
                    Parallel.For(0, chunks, t =>
                    {
                        var first = (int)((long)blocks * t / chunks) * Rows;
                        var last = Math.Min(m, (int)((long)blocks * (t + 1) / chunks) * Rows);
                        RowRange((float*)ia, (float*)ib, (float*)ic, first, last, n, k);
                    });
                }
                else RowRange(pa, pb, pc, 0, m, n, k);
            }
        }
        finally
        {
            if (aT != null) ArrayPool<float>.Shared.Return(aT);
            if (bT != null) ArrayPool<float>.Shared.Return(bT);
        }
    }

    /// <summary>dst[cols, rows] = src[rows, cols]ᵀ.</summary>
    public static void Transpose(ReadOnlySpan<float> src, int rows, int cols, Span<float> dst)
    {
        const int tile = 32;
        for (var r0 = 0; r0 < rows; r0 += tile)
            for (var c0 = 0; c0 < cols; c0 += tile)
            {
                int r1 = Math.Min(rows, r0 + tile), c1 = Math.Min(cols, c0 + tile);
                for (var r = r0; r < r1; r++)
                    for (var col = c0; col < c1; col++) dst[col * rows + r] = src[r * cols + col];
            }
    }

    /// <summary>C[first..last) += A[first..last)·B with 4-row × 2-vector register tiles over column panels.</summary>
    private static void RowRange(float* a, float* b, float* c, int first, int last, int n, int k)
    {
        var w = Vector<float>.Count;
        var panel = 2 * w;
        var fullCols = n - n % panel;
        for (var j = 0; j < fullCols; j += panel)
        {
            var i = first;
            for (; i + Rows <= last; i += Rows) Tile4(a + (long)i * k, b + j, c + (long)i * n + j, n, k);
            for (; i < last; i++) Tile1(a + (long)i * k, b + j, c + (long)i * n + j, n, k);
        }
        if (fullCols == n) return;
        for (var i = first; i < last; i++)
        {
            var crow = new Span<float>(c + (long)i * n + fullCols, n - fullCols);
            for (var kk = 0; kk < k; kk++)
            {
                var s = a[(long)i * k + kk];
                if (s == 0f) continue;
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(b + (long)kk * n + fullCols, n - fullCols), s, crow, crow);
            }
        }
    }

    private static void Tile4(float* a, float* b, float* c, int n, int k)
    {
        var w = Vector<float>.Count;
        float* a0 = a, a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k;
        var c00 = Vector.Load(c); var c01 = Vector.Load(c + w);
        var c10 = Vector.Load(c + n); var c11 = Vector.Load(c + n + w);
        var c20 = Vector.Load(c + 2 * n); var c21 = Vector.Load(c + 2 * n + w);
        var c30 = Vector.Load(c + 3 * n); var c31 = Vector.Load(c + 3 * n + w);
        for (var kk = 0; kk < k; kk++)
        {
            var row = b + (long)kk * n;
            var b0 = Vector.Load(row);
            var b1 = Vector.Load(row + w);
            var s = new Vector<float>(a0[kk]);
            c00 = Vector.FusedMultiplyAdd(s, b0, c00); c01 = Vector.FusedMultiplyAdd(s, b1, c01);
            s = new Vector<float>(a1[kk]);
            c10 = Vector.FusedMultiplyAdd(s, b0, c10); c11 = Vector.FusedMultiplyAdd(s, b1, c11);
            s = new Vector<float>(a2[kk]);
            c20 = Vector.FusedMultiplyAdd(s, b0, c20); c21 = Vector.FusedMultiplyAdd(s, b1, c21);
            s = new Vector<float>(a3[kk]);
            c30 = Vector.FusedMultiplyAdd(s, b0, c30); c31 = Vector.FusedMultiplyAdd(s, b1, c31);
        }
        c00.Store(c); c01.Store(c + w);
        c10.Store(c + n); c11.Store(c + n + w);
        c20.Store(c + 2 * n); c21.Store(c + 2 * n + w);
        c30.Store(c + 3 * n); c31.Store(c + 3 * n + w);
    }

    private static void Tile1(float* a, float* b, float* c, int n, int k)
    {
        var w = Vector<float>.Count;
        var c0 = Vector.Load(c); var c1 = Vector.Load(c + w);
        for (var kk = 0; kk < k; kk++)
        {
            var row = b + (long)kk * n;
            var s = new Vector<float>(a[kk]);
            c0 = Vector.FusedMultiplyAdd(s, Vector.Load(row), c0);
            c1 = Vector.FusedMultiplyAdd(s, Vector.Load(row + w), c1);
        }
        c0.Store(c); c1.Store(c + w);
    }
}
