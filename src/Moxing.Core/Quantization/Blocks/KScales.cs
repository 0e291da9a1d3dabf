using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The 12-byte packing of eight 6-bit scales and eight 6-bit mins shared by Q4_K and Q5_K (ggml's get_scale_min_k4).</summary>
internal static unsafe class KScales
{
    /// <summary>
    /// Sets lanes 0..7 to <c>d * scale[j]</c> and lanes 8..15 to <c>-(dmin * min[j])</c>, unpacking all sixteen 6-bit
    /// fields with four word operations as ggml's SIMD kernels do.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Unpack(byte* q, float d, float dmin, ref ScaleSet set) => set.Set(Codes(q), d, -dmin);

    /// <summary>The sixteen 6-bit fields as bytes: scales in bytes 0..7, mins in bytes 8..15.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Codes(byte* q)
    {
        const uint low6 = 0x3F3F3F3F, low4 = 0x0F0F0F0F, low2 = 0x03030303;
        uint a = Unsafe.ReadUnaligned<uint>(q), b = Unsafe.ReadUnaligned<uint>(q + 4), c = Unsafe.ReadUnaligned<uint>(q + 8);
        var scalesLow = a & low6;
        var scalesHigh = (c & low4) | (((a >> 6) & low2) << 4);
        var minsLow = b & low6;
        var minsHigh = ((c >> 4) & low4) | (((b >> 6) & low2) << 4);
        return Vector128.Create(scalesLow, scalesHigh, minsLow, minsHigh).AsByte();
    }

    /// <summary>The eight per-32 scales as shorts in chunk order (each for both 16-groups of its sub-block, <see cref="IQ8KDot"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* q)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        GroupScales.Widen<L, TB, TS, TF>(Vector128.Shuffle(Codes(q), Vector128.Create((byte)0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7)).AsSByte());

    /// <summary>The eight per-32 minimums as shorts in group order (each twice).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Minimums<L, TB, TS, TF>(byte* q)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        GroupScales.Widen<L, TB, TS, TF>(GroupScales.HighPairs(Codes(q)));
}
