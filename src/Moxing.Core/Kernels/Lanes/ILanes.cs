using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Lanes;

/// <summary>
/// The vector operations the weight formats are written against: one implementation per instruction set
/// (scalar, Vector128, AVX2, AVX-512), so each format's decoding logic exists once and is compiled for each.
/// </summary>
/// <typeparam name="TF">A vector of <see cref="Count"/> floats.</typeparam>
/// <typeparam name="TI">A vector of <see cref="Count"/> 32-bit integers.</typeparam>
/// <remarks>Implementations are structs, so generic code over them is specialised and inlined by the JIT.</remarks>
internal unsafe interface ILanes<TF, TI>
    where TF : struct
    where TI : struct
{
    /// <summary>True when the hardware runs this implementation natively.</summary>
    static abstract bool IsSupported { get; }

    /// <summary>Lanes per vector (1, 4, 8 or 16); every group length the formats use (16, 32) is a multiple.</summary>
    static abstract int Count { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TF Zero { get; }

    /// <summary>All lanes <paramref name="value"/>.</summary>
    static abstract TF Broadcast(float value);

    /// <summary>Loads <see cref="Count"/> floats.</summary>
    static abstract TF Load(float* p);

    /// <summary>Stores <see cref="Count"/> floats.</summary>
    static abstract void Store(float* p, TF v);

    /// <summary>a + b, one rounding per lane.</summary>
    static abstract TF Add(TF a, TF b);

    /// <summary>a * b, one rounding per lane.</summary>
    static abstract TF Multiply(TF a, TF b);

    /// <summary>a * b + c, fused where the hardware can (only for dot products, never for bit-exact decoding).</summary>
    static abstract TF MultiplyAdd(TF a, TF b, TF c);

    /// <summary>Sum of the lanes.</summary>
    static abstract float Sum(TF v);

    /// <summary>The lane sums of four vectors at once (a transposing add tree); each sum's order of additions depends only on its own vector.</summary>
    static abstract Vector128<float> Sum4(TF a, TF b, TF c, TF d);

    /// <summary>Converts integer lanes to float (exact for the small integers of quantized weights).</summary>
    static abstract TF ToFloat(TI v);

    /// <summary>Reinterprets integer bits as float bits.</summary>
    static abstract TF AsFloat(TI v);

    /// <summary>Reinterprets float bits as integer bits.</summary>
    static abstract TI AsInt(TF v);

    /// <summary>Loads <see cref="Count"/> unsigned bytes, zero-extended.</summary>
    static abstract TI Bytes(byte* p);

    /// <summary>Loads <see cref="Count"/> signed bytes, sign-extended.</summary>
    static abstract TI SBytes(byte* p);

    /// <summary>Loads <see cref="Count"/> unsigned 16-bit values, zero-extended.</summary>
    static abstract TI UShorts(byte* p);

    /// <summary>Lane i is bit i of <paramref name="word"/> (0 or 1).</summary>
    static abstract TI BitsOf(uint word);

    /// <summary>Lane i is <c>table[(p[i] &gt;&gt; shift) &amp; 15]</c>: a 4-bit code's level in a 16-entry code book (IQ4's, MXFP4's).</summary>
    static abstract TI Levels(byte* p, int shift, Vector128<sbyte> table);

    /// <summary>Lane-wise v &amp; mask.</summary>
    static abstract TI And(TI v, int mask);

    /// <summary>Lane-wise a | b.</summary>
    static abstract TI Or(TI a, TI b);

    /// <summary>Lane-wise v &lt;&lt; n.</summary>
    static abstract TI ShiftLeft(TI v, int n);

    /// <summary>Lane-wise logical v &gt;&gt; n.</summary>
    static abstract TI ShiftRight(TI v, int n);

    /// <summary>Lane-wise v - n.</summary>
    static abstract TI Subtract(TI v, int n);

    /// <summary>All bits set in lanes where v &gt; n (signed), zero elsewhere.</summary>
    static abstract TI GreaterThan(TI v, int n);

    /// <summary>Lane-wise |v|.</summary>
    static abstract TF Abs(TF v);

    /// <summary>Lane-wise maximum (operands are never NaN where it is used).</summary>
    static abstract TF Max(TF a, TF b);

    /// <summary>The largest lane.</summary>
    static abstract float MaxAcross(TF v);

    /// <summary>Lane-wise round to the nearest integer, ties to even (as <see cref="MathF.Round(float)"/>), as integers.</summary>
    static abstract TI RoundToInt(TF v);

    /// <summary>Sum of the integer lanes.</summary>
    static abstract int SumInt(TI v);

    /// <summary>Stores the lanes, each within [-128, 127], as <see cref="Count"/> signed bytes.</summary>
    static abstract void StoreSBytes(sbyte* p, TI v);
}
