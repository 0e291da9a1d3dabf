using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>The fp16 scale fields of ggml blocks (little-endian IEEE half).</summary>
internal static unsafe class Fp16
{
    /// <summary>Reads the half at <paramref name="p"/> as a float (exact), branch-free and inlined: a call inside a block
    /// loop would make the JIT spill the vector accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Read(byte* p) => F16Format.Load<ScalarLanes, float, int>(p);

    /// <summary>Writes <paramref name="value"/> rounded to the nearest half (ties to even), as ggml's GGML_FP32_TO_FP16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write(byte* p, float value) => Unsafe.WriteUnaligned(p, (Half)value);
}
