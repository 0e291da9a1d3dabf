using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// MXFP4 (OCP microscaling FP4, ggml's block_mxfp4): one E8M0 exponent byte e, then 32 4-bit E2M1 codes (low nibbles are
/// weights 0..15, high nibbles 16..31); w = level · 2^(e − 128), the levels being twice the E2M1 values so they are integers.
/// </summary>
internal readonly unsafe struct Mxfp4Block : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 17;

    /// <summary>Twice the 16 E2M1 values (ggml's <c>kvalues_mxfp4</c>): 0, ±0.5, ±1, ±1.5, ±2, ±3, ±4, ±6 doubled.</summary>
    public static Vector128<sbyte> Levels
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((sbyte)0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12);
    }

    /// <summary>2^(e − 128): the E8M0 scale halved for the doubled levels (e = 0 and 1 are the subnormals 2^-128, 2^-127).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float HalfScale(byte e) => BitConverter.Int32BitsToSingle(e < 2 ? 0x00200000 << e : (e - 1) << 23);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(HalfScale(*block));
        var qs = block + 1;
        for (nint j = 0; j < 16; j += S.Count)
        {
            sink.Scaled(j, S.ToFloat(S.Levels(qs + j, 0, Levels)), d, 0);
            sink.Scaled(j + 16, S.ToFloat(S.Levels(qs + j, 4, Levels)), d, 1);
        }
    }

    public static bool SignedCodes => true;
    public static int LargestCode => 127;
    public static bool HasOffset => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Lookup(L.Nibbles(block + 1), Levels);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => HalfScale(*block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => 0;

    /// <summary>ggml's quantize_row_mxfp4_ref: e = ⌊log2 max|x|⌋ − 2 + 127, each weight the nearest level (the first on ties).</summary>
    public static void Encode(float* src, byte* dst)
    {
        var amax = 0f;
        for (var j = 0; j < 32; j++) amax = MathF.Max(amax, MathF.Abs(src[j]));
        var e = amax > 0 ? (byte)(MathF.Floor(MathF.Log2(amax)) - 2 + 127) : (byte)0;
        var d = HalfScale(e);
        dst[0] = e;
        for (var j = 0; j < 16; j++)
            dst[1 + j] = (byte)(Nearest(src[j], d) | Nearest(src[j + 16], d) << 4);
    }

    /// <summary>ggml's quantize_mxfp4 ignores an importance matrix.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2) => Encode(src, dst);

    private static int Nearest(float x, float d)
    {
        var levels = Levels;
        var best = 0;
        var bestError = MathF.Abs(levels.GetElement(0) * d - x);
        for (var i = 1; i < 16; i++)
        {
            var error = MathF.Abs(levels.GetElement(i) * d - x);
            if (error < bestError) (best, bestError) = (i, error);
        }
        return best;
    }
}
