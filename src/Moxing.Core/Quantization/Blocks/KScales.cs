using System.Runtime.CompilerServices;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The 12-byte packing of eight 6-bit scales and eight 6-bit mins shared by Q4_K and Q5_K (ggml's get_scale_min_k4).</summary>
internal static unsafe class KScales
{
    /// <summary>Scale and min of sub-block <paramref name="j"/> (0..7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int Scale, int Min) Get(byte* q, int j)
    {
        if (j < 4) return (q[j] & 63, q[j + 4] & 63);
        return ((q[j + 4] & 15) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}
