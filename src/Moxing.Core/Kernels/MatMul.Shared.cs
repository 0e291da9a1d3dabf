using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

/// <summary>One product of a group that reads the same activations: a stored weight, and its repacked copy when one serves it.</summary>
public readonly record struct SharedProduct(StoredTensor Weight, RepackedMatrix? Repacked = null);

// Products as one loop: the activations are quantized (or, for half-precision weights times one vector, prepared) once, and
// the rows of all the products are split across the pool together. A single product runs this way too; products that read
// the same activations (attention's q, k and v; an MLP's gate and up) then wait at one barrier instead of one per product.
public static unsafe partial class MatMul
{
    /// <summary>
    /// y_i = w_i·x for two or three products reading the same n activation rows (<paramref name="c"/> may be left default),
    /// on <see cref="WorkerPool.Shared"/>: one loop over all their rows when they all take integer kernels on one activation
    /// format or are all half-precision weights times one vector; otherwise one product after another. Each y_i equals its
    /// product taken alone.
    /// </summary>
    public static void Parallel(ReadOnlySpan<float> x, int n, SharedProduct a, Span<float> ya, SharedProduct b, Span<float> yb,
        SharedProduct c = default, Span<float> yc = default) =>
        Parallel(WorkerPool.Shared, SimdPaths.Best, x, n, a, ya, b, yb, c, yc);

    /// <summary>As <see cref="Parallel(ReadOnlySpan{float}, int, SharedProduct, Span{float}, SharedProduct, Span{float}, SharedProduct, Span{float})"/>
    /// on <paramref name="pool"/> and <paramref name="path"/>.</summary>
    public static void Parallel(WorkerPool pool, SimdPath path, ReadOnlySpan<float> x, int n, SharedProduct a, Span<float> ya,
        SharedProduct b, Span<float> yb, SharedProduct c = default, Span<float> yc = default)
    {
        ArgumentNullException.ThrowIfNull(a.Weight);
        ArgumentNullException.ThrowIfNull(b.Weight);
        if (!SimdPaths.IsSupported(path))
            throw new PlatformNotSupportedException($"{path} kernels are not supported by this processor");
        var k = Check(a.Weight, x, n, ya).K;
        if (Check(b.Weight, x, n, yb).K != k || c.Weight != null && Check(c.Weight, x, n, yc).K != k)
            throw new ArgumentException($"products sharing an input need one input width; {a.Weight.Name} reads {k}");
        if (TryOneLoop(pool, path, x, k, n, c.Weight == null ? 2 : 3, a, ya, b, yb, c, yc)) return;
        One(pool, path, a, x, n, ya);
        One(pool, path, b, x, n, yb);
        if (c.Weight != null) One(pool, path, c, x, n, yc);
    }

    /// <summary>y = w·x for one product (its repacked copy when it has one), on <see cref="WorkerPool.Shared"/>.</summary>
    public static void Parallel(ReadOnlySpan<float> x, int n, SharedProduct p, Span<float> y) => One(WorkerPool.Shared, SimdPaths.Best, p, x, n, y);

    // The first `count` products (inputs checked) as one loop over all their rows; false, nothing done, where one of them
    // takes a float kernel, they read different activation formats, or half-precision weights cannot take this vector.
    private static bool TryOneLoop(WorkerPool pool, SimdPath path, ReadOnlySpan<float> x, int k, int n, int count,
        SharedProduct a, Span<float> ya, SharedProduct b, Span<float> yb, SharedProduct c, Span<float> yc)
    {
        var group = new ProductGroup { Count = count };
        if (!group.TryPlan(a, 0, n, path) || count > 1 && !group.TryPlan(b, 1, n, path) || count > 2 && !group.TryPlan(c, 2, n, path))
            return false;
        fixed (float* px = x)
        fixed (float* pa = ya)
        fixed (float* pb = yb)
        fixed (float* pc = yc)
        {
            if (!group.TryPrepare(pool, path, px, k, n, pa, pb, pc)) return false;
            pool.ParallelFor(group.Units, ref group);
        }
        return true;
    }

    private static void One(WorkerPool pool, SimdPath path, SharedProduct p, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        if (p.Repacked != null) Parallel(pool, p.Repacked, x, n, y, path);
        else Parallel(pool, p.Weight, x, n, y, path);
    }

    private enum PartKind : byte { Integer, Repacked, Half }

    // One product of a group: how its rows run, and its units (row granules) within the group's loop.
    private struct Part
    {
        public SharedProduct Product;
        public PartKind Kind;
        public IntegerKernel Kernel;
        public int Granule;
        public int FirstUnit;
        public int Units;
        public IntegerRowsJob Integer;
        public RepackedRowsJob Repacked;
        public HalfRowsJob Half;
    }

    [InlineArray(3)]
    private struct Parts
    {
        private Part _first;
    }

    private struct ProductGroup : IParallelJob
    {
        public int Count;
        public int Units;
        private Parts _parts;
        // the activation block size every part reads (F16Vectors, BF16Vectors: prepared float vectors)
        private int _activationBlock;

        private const int F16Vectors = 0, BF16Vectors = -1;

        // Decides how product i runs; false when it cannot join the others' loop.
        public bool TryPlan(SharedProduct p, int i, int n, SimdPath path)
        {
            ref var part = ref _parts[i];
            part.Product = p;
            var rows = checked((int)p.Weight.RowCount);
            int block;
            if (p.Repacked != null)
            {
                part.Kind = PartKind.Repacked;
                IntegerKernel.TryFor(p.Weight.Type, path, out part.Kernel);
                part.Granule = RepackedMatrix.GroupRows;
                block = p.Repacked.ActivationBlockSize;
            }
            else if (p.Weight.Type is DType.F16 or DType.BF16)
            {
                part.Kind = PartKind.Half;
                // several vectors: whole groups of four rows to each range (the shared decode's groups)
                part.Granule = n == 1 ? 1 : 4;
                block = p.Weight.Type == DType.F16 ? F16Vectors : BF16Vectors;
            }
            else if (IntegerKernel.TryFor(p.Weight.Type, path, out part.Kernel))
            {
                part.Kind = PartKind.Integer;
                // panel products split whole panels between threads
                part.Granule = part.Kernel.Panels && n >= part.Kernel.PanelTokens ? Panel.Rows : 1;
                block = part.Kernel.ActivationBlockSize;
            }
            else return false;
            if (i > 0 && block != _activationBlock) return false;
            _activationBlock = block;
            part.FirstUnit = Units;
            part.Units = (rows + part.Granule - 1) / part.Granule;
            Units += part.Units;
            return true;
        }

        // Quantizes (or prepares) the activations once and sets up each part's rows; false when half-precision products
        // cannot take this vector (they then run alone, each on its own path).
        public bool TryPrepare(WorkerPool pool, SimdPath path, float* x, int k, int n, float* ya, float* yb, float* yc)
        {
            float* prepared = null;
            byte* xq = null;
            nint xStride = 0;
            if (_activationBlock <= 0)
            {
                if (!HalfMatVec.TryPrepare(_activationBlock == F16Vectors ? DType.F16 : DType.BF16, x, (long)k * n, path, out prepared)) return false;
            }
            else xq = Quantize(pool, x, k, n, _activationBlock, path, out xStride);
            for (var i = 0; i < Count; i++)
            {
                ref var part = ref _parts[i];
                var w = part.Product.Weight;
                var y = i == 0 ? ya : i == 1 ? yb : yc;
                var rows = checked((int)w.RowCount);
                switch (part.Kind)
                {
                    case PartKind.Integer:
                        part.Integer = new IntegerRowsJob(part.Kernel, w.Data, (nint)w.RowBytes, Blocks(w, k), xq, xStride, n, y, rows, part.Granule);
                        break;
                    case PartKind.Repacked:
                        part.Repacked = new RepackedRowsJob(part.Product.Repacked!, part.Kernel, xq, xStride, n, y, rows, path >= SimdPath.Avx2);
                        break;
                    default:
                        part.Half = new HalfRowsJob(w.Type, w.Data, (nint)w.RowBytes, k, prepared, x, n, y, rows, part.Granule, path);
                        break;
                }
            }
            return true;
        }

        public void Execute(int start, int end)
        {
            for (var i = 0; i < Count; i++)
            {
                ref var part = ref _parts[i];
                int from = Math.Max(start, part.FirstUnit) - part.FirstUnit, to = Math.Min(end, part.FirstUnit + part.Units) - part.FirstUnit;
                if (from >= to) continue;
                switch (part.Kind)
                {
                    case PartKind.Integer:
                        part.Integer.Execute(from, to);
                        break;
                    case PartKind.Repacked:
                        part.Repacked.Execute(from, to);
                        break;
                    default:
                        part.Half.Execute(from, to);
                        break;
                }
            }
        }
    }
}
