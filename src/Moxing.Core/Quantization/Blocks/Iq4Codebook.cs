using System.Runtime.Intrinsics;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The 16 non-linear levels of IQ4_NL and IQ4_XS (ggml's <c>kvalues_iq4nl</c>).</summary>
internal static class Iq4Codebook
{
    /// <summary>The levels, indexed by a 4-bit code.</summary>
    public static ReadOnlySpan<sbyte> Values => [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

    /// <summary>The levels as one byte-shuffle table.</summary>
    public static readonly Vector128<sbyte> Table = Vector128.Create(Values);
}
