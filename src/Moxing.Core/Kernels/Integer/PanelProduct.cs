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
    [ThreadStatic] private static AlignedScratch? _panels;

    // Packed panels per band: a band stays in L2 while every tile of four activation rows (in L1) sweeps it.
    private const long BandBytes = 384 * 1024;

    /// <summary>As <see cref="IntegerKernels.RowsQ8{F, L, TB, TS, TF}"/>, through panels when there are enough activation rows.</summary>
    public static void RowsSmall<F>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8Dot
    {
        if (n < Panel.SmallTokens)
            IntegerKernels.RowsQ8<F, L, TB, TS, TF>(w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
        else
            Bands(&PanelPacker.PackSmall<F, L, TB, TS, TF>, &P.Small<F>, (long)blocks * Panel.SmallBytes, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
    }

    /// <summary>As <see cref="IntegerKernels.RowsQ8K{F, L, TB, TS, TF}"/>, through panels when there are enough activation rows.</summary>
    public static void RowsSuper<F>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8KDot =>
        Super<F>(&IntegerKernels.RowsQ8K<F, L, TB, TS, TF>, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    /// <summary>As <see cref="GridKernels.Rows{F, L, TB, TS, TF}"/>, through panels when there are enough activation rows.</summary>
    public static void RowsGrid<F>(byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IGridBlock<F> =>
        Super<F>(&GridKernels.Rows<F, L, TB, TS, TF>, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    // A K format's product: the row kernel `few` below Panel.SuperTokens activation rows, else panels.
    private static void Super<F>(delegate*<byte*, nint, int, byte*, nint, int, float*, int, int, int, void> few,
        byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
        where F : struct, IQ8KDot
    {
        if (n < Panel.SuperTokens)
            few(w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
        else
            Bands(&PanelPacker.PackSuper<F, L, TB, TS, TF>, &P.Super<F>, (long)blocks * Panel.SuperBytes, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);
    }

    /// <summary>As <see cref="RowsSmall{F}"/> for a matrix held as groups of eight rows whose panels <paramref name="pack"/> builds
    /// (with the arguments of <see cref="PanelPacker.PackSmall"/>); panels at every count of activation rows.</summary>
    public static void RowsFromGroups<F>(delegate*<byte*, nint, int, int, int, byte*, void> pack, byte* w, nint rowBytes, int blocks,
        byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd) where F : struct, IQ8Dot =>
        Bands(pack, &P.Small<F>, (long)blocks * Panel.SmallBytes, w, rowBytes, blocks, x, xStride, n, y, rows, rowStart, rowEnd);

    // Packs a band of panels, then multiplies every tile of four activation rows into each panel of the band.
    private static void Bands(delegate*<byte*, nint, int, int, int, byte*, void> pack, delegate*<byte*, int, byte*, nint, int, float*, nint, int, void> tile,
        long panelBytes, byte* w, nint rowBytes, int blocks, byte* x, nint xStride, int n, float* y, int rows, int rowStart, int rowEnd)
    {
        var bandPanels = (int)Math.Clamp(BandBytes / panelBytes, 1, 16);
        var panels = (_panels ??= new AlignedScratch()).Get(bandPanels * panelBytes);
        for (var band = rowStart; band < rowEnd; band += bandPanels * Panel.Rows)
        {
            var bandEnd = Math.Min(rowEnd, band + bandPanels * Panel.Rows);
            for (var first = band; first < bandEnd; first += Panel.Rows)
                pack(w, rowBytes, first, Math.Min(Panel.Rows, bandEnd - first), blocks, panels + (first - band) / Panel.Rows * panelBytes);
            // the next band's stored rows asked for a slice per tile, so they arrive while this band's tiles compute
            var next = w + (nint)bandEnd * rowBytes;
            var nextBytes = (nint)(Math.Min(rowEnd, bandEnd + bandPanels * Panel.Rows) - bandEnd) * rowBytes;
            var tiles = (n + 3) / 4 * ((bandEnd - band + Panel.Rows - 1) / Panel.Rows);
            var slice = (int)((nextBytes / tiles + 63) & ~63);
            for (var t = 0; t < n; t += 4)
                for (var first = band; first < bandEnd; first += Panel.Rows)
                {
                    if (nextBytes > 0)
                    {
                        var bytes = (int)Math.Min(slice, nextBytes);
                        Prefetch.Lines(next, bytes);
                        next += bytes;
                        nextBytes -= bytes;
                    }
                    tile(panels + (first - band) / Panel.Rows * panelBytes, blocks, x + t * xStride, xStride, Math.Min(4, n - t),
                        y + (nint)t * rows + first, rows, Math.Min(Panel.Rows, bandEnd - first));
                }
        }
    }
}
