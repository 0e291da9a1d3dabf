using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The fp16 scale fields of ggml blocks (little-endian IEEE half).</summary>
internal static unsafe class Fp16
{
    // Every half's float value, as ggml keeps where the CPU lacks a conversion instruction: .NET exposes none (no F16C),
    // and converting with integer operations costs as much as decoding the rest of a Q8_0 block.
    private static readonly float* Table = CreateTable();

    /// <summary>Reads the half at <paramref name="p"/> as a float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* p) => Table[Unsafe.ReadUnaligned<ushort>(p)];

    /// <summary>Writes <paramref name="value"/> rounded to the nearest half (ties to even), as ggml's GGML_FP32_TO_FP16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* p, float value) => Unsafe.WriteUnaligned(p, (Half)value);

    private static float* CreateTable()
    {
        var table = (float*)NativeMemory.AlignedAlloc(65536 * sizeof(float), 64);
        for (var i = 0; i < 65536; i++) table[i] = (float)BitConverter.UInt16BitsToHalf((ushort)i);
        return table;
    }
}
