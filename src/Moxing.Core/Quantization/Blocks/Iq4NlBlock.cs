using Moxing.Core.Quantization.Encoders;
using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>IQ4_NL: fp16 scale d, 32 4-bit indices into <see cref="Iq4Codebook"/>; w = d * level.</summary>
internal readonly unsafe struct Iq4NlBlock : IQ8Dot, IBlockEncoder
{
    public static int BlockSize => 32;
    public static int BlockBytes => 18;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var qs = block + 2;
        for (nint j = 0; j < 16; j += S.Count)
        {
            sink.Scaled(j, S.ToFloat(S.Levels(qs + j, 0, Iq4Codebook.Table)), d, 0);
            sink.Scaled(j + 16, S.ToFloat(S.Levels(qs + j, 4, Iq4Codebook.Table)), d, 1);
        }
    }

    public static bool SignedCodes => true;
    public static int LargestCode => 127;
    public static bool HasOffset => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Lookup(L.Nibbles(block + 2), Iq4Codebook.Table);

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block, float scale) => 0;

    /// <summary>ggml's quantize_iq4_nl without importance (the codebook fit with 15 trial scales, not the ntry = -1 _ref).</summary>
    public static void Encode(float* src, byte* dst) => Iq4Codes.Encode(32, src, dst, dst + 2, null, null, null);

    /// <summary>ggml's quantize_iq4_nl with importance.</summary>
    public static void EncodeWeighted(float* src, byte* dst, float* importance, float rowSigma2) =>
        Iq4Codes.Encode(32, src, dst, dst + 2, null, null, importance);
}
