using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>The multiply step of a panel product: one panel times 1 or 4 activation rows, one lane per (row, token).</summary>
internal unsafe interface IPanelTile
{
    /// <summary>A small-block panel times <paramref name="tokens"/> rows of Q8 blocks; lane r of token t goes to y[t · yStride + r] for r &lt; count.</summary>
    static abstract void Small<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8Dot;

    /// <summary>A K panel times <paramref name="tokens"/> rows of Q8_K blocks, stored as <see cref="Small{F}"/>.</summary>
    static abstract void Super<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8KDot;
}
