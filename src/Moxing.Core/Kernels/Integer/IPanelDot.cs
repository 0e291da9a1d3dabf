using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The integer step of <see cref="PanelTile{D}"/>: exact 32-bit sums, one per row lane, of <see cref="Panel"/> vectors times
/// activation codes broadcast four at a time. Codes are unsigned up to <c>largestCode</c> (below 64), or signed bytes (small
/// blocks, <c>signed</c>) or signed codes biased by 128 (K groups, <c>biased</c>); all are constants of the weight format, so a
/// tile's branches on them fold away; every implementation returns the same integers, so the tiles give the same bits.
/// </summary>
internal unsafe interface IPanelDot
{
    /// <summary>True when the processor has the instructions.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Lane r of sum t, for each of the <typeparamref name="T"/> activation rows t at x + t · xStride (32 codes each):
    /// Σ over the eight vectors g of a small block at <paramref name="w"/> of Σ_j w_g[4r + j] · x[4g + j]. Sums past
    /// <typeparamref name="T"/>'s count are zero.</summary>
    static abstract void Block<T>(byte* w, byte* x, nint xStride, bool signed, int largestCode,
        out Vector256<int> s0, out Vector256<int> s1, out Vector256<int> s2, out Vector256<int> s3) where T : struct, ICount;

    /// <summary>acc + scale · (lane's dot product of a 16-code group's four vectors with the codes at q); <paramref name="codeSum"/>
    /// is the sum of those 16 activation codes.</summary>
    static abstract Vector256<int> Group(Vector256<byte> c0, Vector256<byte> c1, Vector256<byte> c2, Vector256<byte> c3,
        Vector256<int> scale, byte* q, short codeSum, Vector256<int> acc, bool biased, int largestCode);

    /// <summary>acc + a[2l] · b[2l] + a[2l + 1] · b[2l + 1] in each 32-bit lane l (<c>vpdpwssd</c>).</summary>
    static abstract Vector256<int> Shorts(Vector256<int> acc, Vector256<short> a, Vector256<short> b);
}
