using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// Blocked matrix products through <see cref="Panel"/>s: each thread packs eight weight rows at a time (with lanes
/// <typeparamref name="L"/>), then multiplies the panel into four activation rows per pass with <typeparamref name="P"/>.
/// Too few activation rows to pay for packing go to the row kernels of <typeparamref name="L"/>.
/// </summary>
internal static unsafe class PanelProduct<P, L, TB, TS, TF>
    where P : struct, IPanelTile where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
{
    [ThreadStatic] private static AlignedScratch? _panel;

    /// <summary>As <see cref="IntegerKernels.RowsQ8{F, L, TB, TS, TF}"/>, through panels when there are enough activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsSmall<F>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8Dot
    {
        if (n < Panel.MinTokens)
        {
            IntegerKernels.RowsQ8<F, L, TB, TS, TF>(w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
            return;
        }
        var panel = (_panel ??= new AlignedScratch()).Get((long)blocks * Panel.SmallBytes);
        for (var first = rowStart; first < rowEnd; first += Panel.Rows)
        {
            var count = Math.Min(Panel.Rows, rowEnd - first);
            PanelPacker.PackSmall<F, L, TB, TS, TF>(w, rowBytes, first, count, blocks, panel);
            for (var t = 0; t < n; t += 4)
                P.Small<F>(panel, blocks, x + t * xStride, xStride, Math.Min(4, n - t), y + (nint)t * rows + first, rows, count);
        }
    }

    /// <summary>As <see cref="IntegerKernels.RowsQ8K{F, L, TB, TS, TF}"/>, through panels when there are enough activation rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RowsSuper<F>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8KDot
    {
        if (n < Panel.MinTokens)
        {
            IntegerKernels.RowsQ8K<F, L, TB, TS, TF>(w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
            return;
        }
        var panel = (_panel ??= new AlignedScratch()).Get((long)blocks * Panel.SuperBytes);
        for (var first = rowStart; first < rowEnd; first += Panel.Rows)
        {
            var count = Math.Min(Panel.Rows, rowEnd - first);
            PanelPacker.PackSuper<F, L, TB, TS, TF>(w, rowBytes, first, count, blocks, panel);
            for (var t = 0; t < n; t += 4)
                P.Super<F>(panel, blocks, x + t * xStride, xStride, Math.Min(4, n - t), y + (nint)t * rows + first, rows, count);
        }
    }
}
