using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>Q5_1: fp16 scale d and minimum m, a 32-bit word of fifth bits, 32 nibbles; w = q * d + m.</summary>
internal readonly unsafe struct Q5_1Block : IQ8Dot
{
    public static int BlockSize => 32;
    public static int BlockBytes => 24;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block));
        var m = S.Broadcast(Fp16.Read(block + 2));
        var qh = Unsafe.ReadUnaligned<uint>(block + 4);
        var qs = block + 8;
        for (var j = 0; j < 16; j += S.Count)
        {
            var b = S.Bytes(qs + j);
            var lo = S.Or(S.And(b, 15), S.ShiftLeft(S.BitsOf(qh >> j), 4));
            var hi = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.BitsOf(qh >> (j + 16)), 4));
            sink.ScaledOffset(j, S.ToFloat(lo), d, m, 0);
            sink.ScaledOffset(j + 16, S.ToFloat(hi), d, m, 1);
        }
    }

    public static bool SignedCodes => false;
    public static bool HasOffset => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Codes<L, TB, TS, TF>(byte* block)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct => L.Or(L.Nibbles(block + 8), L.Bits(Unsafe.ReadUnaligned<uint>(block + 4), 16));

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Scale(byte* block) => Fp16.Read(block);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Offset(byte* block) => Fp16.Read(block + 2);
}
