using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// The IQ grids expanded to their levels (one byte per level, entry i at index i) and the helpers the IQ1/IQ2/IQ3 block
/// decoders share: sign masks, and handing 32 decoded levels to a sink.
/// </summary>
internal static unsafe class IqGrids
{
    /// <summary>IQ2_XXS's 256 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2Xxs = (ulong*)Expand(IqGridData.Iq2XxsHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ2_XS's 512 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2Xs = (ulong*)Expand(IqGridData.Iq2XsHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ2_S's 1024 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2S = (ulong*)Expand(IqGridData.Iq2SHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ3_XXS's 256 entries of four levels in {4, 12, …, 52, 62}.</summary>
    public static readonly uint* Iq3Xxs = (uint*)Expand(IqGridData.Iq3XxsHex, 4, 3, [0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3e]);

    /// <summary>IQ3_S's 512 entries of four levels in {1, 3, …, 15}.</summary>
    public static readonly uint* Iq3S = (uint*)Expand(IqGridData.Iq3SHex, 4, 3, [1, 3, 5, 7, 9, 11, 13, 15]);

    /// <summary>IQ1_S's and IQ1_M's 2048 entries of eight levels in {−1, 0, 1}, in eighths (signed bytes): entry i shifted up
    /// by 1/8 (8·level + 1), entry <see cref="Iq1Down"/> + i shifted down (8·level − 1).</summary>
    public static readonly ulong* Iq1 = Join(
        (ulong*)Expand(IqGridData.Iq1SHex, 8, 2, [unchecked((byte)-7), 1, 9]),
        (ulong*)Expand(IqGridData.Iq1SHex, 8, 2, [unchecked((byte)-9), unchecked((byte)-1), 7]), Iq1Down);

    /// <summary>Where <see cref="Iq1"/>'s entries shifted down start.</summary>
    public const int Iq1Down = 2048;

    /// <summary>Entry i: byte j is 0xFF where bit j of i is set, else 0 — the negated bytes of an 8-bit sign pattern.</summary>
    public static readonly ulong* SignMasks = Masks(256, bits => bits);

    /// <summary>Entry i: <see cref="SignMasks"/> of ggml's ksigns_iq2xs[i] — seven sign bits, the eighth their parity.</summary>
    public static readonly ulong* SevenSignMasks = Masks(128, seven => seven | (BitOperations.PopCount((uint)seven) & 1) << 7);

    /// <summary>The negative-code masks of a group whose signs are four 7-bit patterns (and their parities) in the low 28 bits of <paramref name="signs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB SevenBitSigns<L, TB, TS, TF>(uint signs)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Words(SevenSignMasks + (signs & 127), SevenSignMasks + ((signs >> 7) & 127), SevenSignMasks + ((signs >> 14) & 127),
            SevenSignMasks + ((signs >> 21) & 127));

    /// <summary>The negative-code masks of a group whose signs are the four bytes at <paramref name="signs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB ByteSigns<L, TB, TS, TF>(byte* signs)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Words(SignMasks + signs[0], SignMasks + signs[1], SignMasks + signs[2], SignMasks + signs[3]);

    /// <summary>Four table indices as 16-bit lanes: lane i is byte i of <paramref name="lows"/> | the bits of <paramref name="highs"/>
    /// that <paramref name="highMask"/>'s lane i deposits (one bit per lane at bit 8 for IQ3_S, two at bits 8–9 for IQ2_S).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Indices(uint lows, uint highs, ulong highMask)
    {
        if (Bmi2.X64.IsSupported)
            return Bmi2.X64.ParallelBitDeposit(lows, 0x00FF00FF00FF00FFUL) | Bmi2.X64.ParallelBitDeposit(highs, highMask);
        return PortableIndices(lows, highs, highMask);
    }

    /// <summary>The four 8-byte entries of <paramref name="grid"/> at the 16-bit lanes of <paramref name="indices"/> (<see cref="Indices"/>), as one group's levels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Entries<L, TB, TS, TF>(ulong* grid, ulong indices)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Words(grid + (ushort)indices, grid + (ushort)(indices >> 16), grid + (ushort)(indices >> 32), grid + (indices >> 48));

    /// <summary>As <see cref="Entries"/> for eight 4-byte entries, their indices in the lanes of <paramref name="first"/>, then <paramref name="second"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB HalfEntries<L, TB, TS, TF>(uint* grid, ulong first, ulong second)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.HalfWords(grid + (ushort)first, grid + (ushort)(first >> 16), grid + (ushort)(first >> 32), grid + (first >> 48),
            grid + (ushort)second, grid + (ushort)(second >> 16), grid + (ushort)(second >> 32), grid + (second >> 48));

    /// <summary><see cref="Indices"/> without BMI2.</summary>
    internal static ulong PortableIndices(uint lows, uint highs, ulong highMask)
    {
        ulong lanes = 0;
        var width = BitOperations.PopCount(highMask) / 4;
        for (var i = 0; i < 4; i++)
            lanes |= (ulong)(((lows >> (8 * i)) & 0xFF) | (((highs >> (width * i)) & ((1u << width) - 1)) << 8)) << (16 * i);
        return lanes;
    }

    /// <summary>
    /// Hands the 32 signed levels at <paramref name="levels"/> to <paramref name="sink"/> as weights [index, index + 32):
    /// level · <paramref name="first"/> for the first 16, level · <paramref name="second"/> for the rest; levels stored in
    /// eighths (IQ1's, <paramref name="eighths"/>) become level exactly first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Emit<S, TF, TI, TSink>(byte* levels, nint index, TF first, TF second, bool eighths, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        for (nint j = 0; j < 16; j += S.Count) sink.Scaled(index + j, Level<S, TF, TI>(levels + j, eighths), first, 0);
        for (nint j = 16; j < 32; j += S.Count) sink.Scaled(index + j, Level<S, TF, TI>(levels + j, eighths), second, 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TF Level<S, TF, TI>(byte* p, bool eighths) where S : struct, ILanes<TF, TI> where TF : struct where TI : struct =>
        eighths ? S.Multiply(S.ToFloat(S.SBytes(p)), S.Broadcast(0.125f)) : S.ToFloat(S.SBytes(p));

    // the count entries of a, then b's, in one table (both freed)
    private static ulong* Join(ulong* a, ulong* b, int count)
    {
        var table = (ulong*)NativeMemory.AlignedAlloc((nuint)(2 * count) * sizeof(ulong), 64);
        new ReadOnlySpan<ulong>(a, count).CopyTo(new Span<ulong>(table, count));
        new ReadOnlySpan<ulong>(b, count).CopyTo(new Span<ulong>(table + count, count));
        NativeMemory.AlignedFree(a);
        NativeMemory.AlignedFree(b);
        return table;
    }

    // count entries of eight 0x00/0xFF bytes, byte j set where bit j of pattern(i) is
    private static ulong* Masks(int count, Func<int, int> pattern)
    {
        var table = (ulong*)NativeMemory.AlignedAlloc((nuint)count * sizeof(ulong), 64);
        for (var i = 0; i < count; i++)
        {
            ulong mask = 0;
            for (var j = 0; j < 8; j++) mask |= (ulong)(((pattern(i) >> j) & 1) * 0xFF) << (8 * j);
            table[i] = mask;
        }
        return table;
    }

    // Entries of width bytes from their hex digits: byte j of entry i is levels[(code >> bits·j) & mask].
    private static byte* Expand(string hex, int width, int bits, ReadOnlySpan<byte> levels)
    {
        var digits = (width * bits + 3) / 4;
        var count = hex.Length / digits;
        var table = (byte*)NativeMemory.AlignedAlloc((nuint)(count * width), 64);
        for (var i = 0; i < count; i++)
        {
            var code = uint.Parse(hex.AsSpan(i * digits, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            for (var j = 0; j < width; j++) table[i * width + j] = levels[(int)(code >> (bits * j)) & ((1 << bits) - 1)];
        }
        return table;
    }
}
