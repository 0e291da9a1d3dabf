using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>
/// The byte operations the integer kernels are written against, one implementation per instruction set: 32 8-bit codes
/// at a time (<typeparamref name="TB"/>), multiplied into 32-bit integer partial sums (<typeparamref name="TS"/>) whose
/// exact totals (<see cref="Sum4"/>) are scaled into floats once per block; <typeparamref name="TF"/> is the set's float
/// vector. Products are exact: every code pair fits the 16-bit intermediates of <c>pmaddubsw</c> (one factor in 0..128,
/// the other in -127..127).
/// </summary>
internal unsafe interface IByteLanes<TB, TS, TF>
    where TB : unmanaged
    where TS : struct
    where TF : struct
{
    /// <summary>True when the hardware runs this implementation natively.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Loads 32 bytes.</summary>
    static abstract TB Load(byte* p);

    /// <summary>The 32 bytes of the four 8-byte words at <paramref name="a"/> .. <paramref name="d"/>, in that order (table entries
    /// gathered straight into a vector, as ggml's grid kernels build them).</summary>
    static abstract TB Words(ulong* a, ulong* b, ulong* c, ulong* d);

    /// <summary>As <see cref="Words"/> for eight 4-byte words.</summary>
    static abstract TB HalfWords(uint* a, uint* b, uint* c, uint* d, uint* e, uint* f, uint* g, uint* h);

    /// <summary>The 16 bytes at <paramref name="p"/> as 32 codes: their low nibbles, then their high nibbles.</summary>
    static abstract TB Nibbles(byte* p);

    /// <summary>Byte-wise v &amp; mask.</summary>
    static abstract TB And(TB v, byte mask);

    /// <summary>Byte-wise a | b.</summary>
    static abstract TB Or(TB a, TB b);

    /// <summary>Byte-wise logical v &gt;&gt; n.</summary>
    static abstract TB ShiftRight(TB v, int n);

    /// <summary>Byte-wise v &lt;&lt; n (bits shifted out of a byte are lost).</summary>
    static abstract TB ShiftLeft(TB v, int n);

    /// <summary>Byte i is <paramref name="value"/> where bit i of <paramref name="word"/> is set, else 0.</summary>
    static abstract TB Bits(uint word, byte value);

    /// <summary>Byte i is <c>table[v[i]]</c>; v's bytes are in 0..15.</summary>
    static abstract TB Lookup(TB v, Vector128<sbyte> table);

    /// <summary>16 signed 16-bit values read from <paramref name="p"/>, in the layout <see cref="ScalePair"/> and <see cref="DotShorts"/> read.</summary>
    static abstract TB LoadShorts(short* p);

    /// <summary>Sixteen signed bytes times <paramref name="factor"/> as 16-bit values, in the layout of <see cref="LoadShorts"/>.</summary>
    static abstract TB Widen(Vector128<sbyte> values, short factor);

    /// <summary>Multipliers for one 32-code chunk: shorts <c>chunk</c> (codes 0..15) and <c>8 + chunk</c> (codes 16..31) of <paramref name="scales"/>.</summary>
    static abstract TB ScalePair(TB scales, int chunk);

    /// <summary>Multipliers for one 32-code chunk in <see cref="ScalePair"/>'s layout: <paramref name="first"/> for codes 0..15, <paramref name="second"/> for 16..31.</summary>
    static abstract TB ShortPair(short first, short second);

    /// <summary>No partial sums.</summary>
    static abstract TS Zero { get; }

    /// <summary>acc + Σ u[i]·s[i]: u unsigned (0..128), s signed.</summary>
    static abstract TS Dot(TB u, TB s, TS acc);

    /// <summary>acc + Σ a[i]·b[i], both signed (a in -128..127, b in -127..127).</summary>
    static abstract TS DotSigned(TB a, TB b, TS acc);

    /// <summary>acc + Σ m(i)·u[i]·s[i], u unsigned (0..127), m the multiplier of <see cref="ScalePair"/> for code i.</summary>
    static abstract TS DotScaled(TB u, TB s, TB multipliers, TS acc);

    /// <summary>As <see cref="DotScaled"/> with a signed (-128..127).</summary>
    static abstract TS DotScaledSigned(TB a, TB s, TB multipliers, TS acc);

    /// <summary>v with the bytes where <paramref name="negative"/> is 0xFF (else 0) negated: (v ^ n) − n.</summary>
    static abstract TB Negated(TB v, TB negative);

    /// <summary>acc + Σ a[j]·b[j] over the 16 shorts of each.</summary>
    static abstract TS DotShorts(TB a, TB b, TS acc);

    /// <summary>a + b, lane-wise.</summary>
    static abstract TS Add(TS a, TS b);

    /// <summary>The totals of four partial sums' lanes, in that order (exact: 32-bit integers).</summary>
    static abstract Vector128<int> Sum4(TS a, TS b, TS c, TS d);
}
