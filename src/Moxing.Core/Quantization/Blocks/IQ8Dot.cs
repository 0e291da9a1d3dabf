using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// A 32-weight block format multiplied in integers with 8-bit activation blocks of 32 (ggml's vec_dot_type q8_0/q8_1):
/// weight i is <c>Scale · codes[i] + Offset</c>.
/// </summary>
internal unsafe interface IQ8Dot : IBlockFormat
{
    /// <summary>True when codes are signed (-128..127); else unsigned 0..127.</summary>
    static abstract bool SignedCodes { get; }

    /// <summary>The largest code magnitude (15 for 4-bit codes, 31 for 5-bit, 127 for signed bytes): panel tiles add as many
    /// byte products in 16 bits as it allows without saturating.</summary>
    static abstract int LargestCode { get; }

    /// <summary>True when <see cref="Offset"/> can be nonzero.</summary>
    static abstract bool HasOffset { get; }

    /// <summary>The block's 32 codes.</summary>
    static abstract TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;

    /// <summary>The factor of the codes.</summary>
    static abstract float Scale(byte* block);

    /// <summary>The constant added to every weight, given the block's <see cref="Scale"/> (which some formats' offsets are multiples of).</summary>
    static abstract float Offset(byte* block, float scale);
}

/// <summary>How a K format's per-group minimums enter its weights.</summary>
internal enum KMins
{
    /// <summary>No minimums: w = d · scale · code.</summary>
    None,

    /// <summary>w = d · (scale · code + min): the minimum shares d, so it folds into the integer sum.</summary>
    SameScale,

    /// <summary>w = d · scale · code + dmin · min, with its own factor.</summary>
    OwnScale,
}

/// <summary>
/// A 256-weight K format multiplied in integers with 8-bit K activation blocks (ggml's vec_dot_type q8_K): weight i of
/// 16-group g is <c>d · scales[g] · codes[i] + m · mins[g]</c>, m being d or dmin as <see cref="Mins"/> says. Every part
/// is computed in registers from the block, so a kernel keeps a super-block's codes and scales out of memory.
/// </summary>
internal unsafe interface IQ8KDot : IBlockFormat
{
    /// <summary>True when codes are signed (-128..127); else unsigned 0..127.</summary>
    static abstract bool SignedCodes { get; }

    /// <summary>The largest code magnitude (15 for 4-bit codes, 31 for 5-bit, 127 for signed bytes): panel tiles add as many
    /// byte products in 16 bits as it allows without saturating.</summary>
    static abstract int LargestCode { get; }

    /// <summary>How minimums enter the weights.</summary>
    static abstract KMins Mins { get; }

    /// <summary>The super-block's d.</summary>
    static abstract float Scale(byte* block);

    /// <summary>The factor of the minimums when <see cref="Mins"/> is <see cref="KMins.OwnScale"/> (sign included); else 0.</summary>
    static abstract float MinScale(byte* block);

    /// <summary>Codes 32c..32c+31 (chunk <paramref name="c"/>, 0..7; a constant in unrolled kernels).</summary>
    static abstract TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;

    /// <summary>Chunks 4h .. 4h + 3 (h = 0 or 1, a constant in unrolled kernels), as <see cref="Chunk"/> gives them; bytes that
    /// several chunks share are loaded once (the JIT does not merge repeated vector loads).</summary>
    static abstract void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;

    /// <summary>The sixteen group scales as shorts in chunk order (scales[c] for codes 0..15 of chunk c, scales[8 + c] for
    /// codes 16..31), and the sixteen group minimums as shorts in group order (unused when <see cref="Mins"/> is <see cref="KMins.None"/>).</summary>
    static abstract TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;

    /// <summary><see cref="Scales"/> of two super-blocks (of two rows), <paramref name="a"/>'s returned; formats whose scales
    /// are packed unpack both in one pass of vector operations.</summary>
    static abstract TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct;
}
