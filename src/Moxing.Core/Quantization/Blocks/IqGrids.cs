using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// The IQ grids expanded to their levels (one byte per level, entry i at index i) and the helpers the IQ1/IQ2/IQ3 block
/// decoders share: sign patterns, and handing 32 decoded levels to a sink.
/// </summary>
internal static unsafe class IqGrids
{
    /// <summary>IQ2_XXS's 256 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2Xxs = Expand(IqGridData.Iq2XxsHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ2_XS's 512 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2Xs = Expand(IqGridData.Iq2XsHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ2_S's 1024 entries of eight levels in {8, 25, 43}.</summary>
    public static readonly ulong* Iq2S = Expand(IqGridData.Iq2SHex, 8, 2, [0x08, 0x19, 0x2b]);

    /// <summary>IQ3_XXS's 256 entries of four levels in {4, 12, …, 52, 62} (in the low four bytes).</summary>
    public static readonly ulong* Iq3Xxs = Expand(IqGridData.Iq3XxsHex, 4, 3, [0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3e]);

    /// <summary>IQ3_S's 512 entries of four levels in {1, 3, …, 15} (in the low four bytes).</summary>
    public static readonly ulong* Iq3S = Expand(IqGridData.Iq3SHex, 4, 3, [1, 3, 5, 7, 9, 11, 13, 15]);

    /// <summary>IQ1_S's and IQ1_M's 2048 entries of eight levels in {−1, 0, 1} shifted up by 1/8, as 8·level + 1 (signed bytes).</summary>
    public static readonly ulong* Iq1Up = Expand(IqGridData.Iq1SHex, 8, 2, [unchecked((byte)-7), 1, 9]);

    /// <summary>The IQ1 entries shifted down by 1/8, as 8·level − 1 (signed bytes).</summary>
    public static readonly ulong* Iq1Down = Expand(IqGridData.Iq1SHex, 8, 2, [unchecked((byte)-9), unchecked((byte)-1), 7]);

    /// <summary>Eight levels with the signs of ggml's ksigns_iq2xs[<paramref name="seven"/>]: seven sign bits, the eighth their parity.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SignedBySeven(ulong levels, uint seven) => Signed(levels, seven | ((uint)BitOperations.PopCount(seven) & 1) << 7);

    /// <summary>Eight positive levels (bytes below 128), byte j negated where bit j of <paramref name="signs"/> is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Signed(ulong levels, uint signs)
    {
        var negative = SpreadBits(signs & 0xFF) * 0xFF;
        // two's complement per byte: ~level + 1 never carries into the next byte, as no level is 0
        return (levels ^ negative) + (negative & 0x0101010101010101UL);
    }

    /// <summary>IQ1 entry <paramref name="index"/> shifted by −1/8 (<paramref name="down"/>) or +1/8, in eighths.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Iq1(int index, bool down) => down ? Iq1Down[index] : Iq1Up[index];

    /// <summary>Byte j of the result is bit j of <paramref name="bits"/> (0 or 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SpreadBits(uint bits)
    {
        if (Bmi2.X64.IsSupported) return Bmi2.X64.ParallelBitDeposit(bits, 0x0101010101010101UL);
        ulong spread = 0;
        for (var j = 0; j < 8; j++) spread |= (ulong)((bits >> j) & 1) << (8 * j);
        return spread;
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

    // Entry i's levels from its hex digits: level j is levels[(code >> bits·j) & mask], byte j of the entry.
    private static ulong* Expand(string hex, int width, int bits, ReadOnlySpan<byte> levels)
    {
        var digits = (width * bits + 3) / 4;
        var count = hex.Length / digits;
        var table = (ulong*)NativeMemory.AlignedAlloc((nuint)count * sizeof(ulong), 64);
        for (var i = 0; i < count; i++)
        {
            var code = uint.Parse(hex.AsSpan(i * digits, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong entry = 0;
            for (var j = 0; j < width; j++) entry |= (ulong)levels[(int)(code >> (bits * j)) & ((1 << bits) - 1)] << (8 * j);
            table[i] = entry;
        }
        return table;
    }
}

/// <summary>Room for the 32 levels of one group, decoded before they go to a sink.</summary>
internal struct Levels32
{
#pragma warning disable CS0169 // the fields are only reached through a pointer to the struct
    private ulong _a, _b, _c, _d;
#pragma warning restore CS0169
}
