using System.Runtime.CompilerServices;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The fp16 scale fields of ggml blocks (little-endian IEEE half).</summary>
internal static unsafe class Fp16
{
    /// <summary>Reads the half at <paramref name="p"/> as a float (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* p) => (float)Unsafe.ReadUnaligned<Half>(p);

    /// <summary>Writes <paramref name="value"/> rounded to the nearest half (ties to even), as ggml's GGML_FP32_TO_FP16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* p, float value) => Unsafe.WriteUnaligned(p, (Half)value);
}
