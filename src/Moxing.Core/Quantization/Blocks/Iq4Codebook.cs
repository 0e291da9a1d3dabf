using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml's <c>kvalues_iq4nl</c>).</summary>
internal static class Iq4Codebook
{
    /// <summary>The levels, indexed by a 4-bit code.</summary>
    public static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>The levels as one byte-shuffle table (a constant, so the kernels need no static field).</summary>
    public static Vector128<sbyte> Table
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((sbyte)-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
    }
}
