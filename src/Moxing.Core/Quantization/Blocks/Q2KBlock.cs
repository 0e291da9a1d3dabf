using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q2_K: 256 weights as 16 groups of 16 with 4-bit scales and mins (scales[16]), 2-bit codes (qs[64]), fp16 d and dmin;
/// w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q2KBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 84;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var scales = block;
        var d = Fp16.Read(block + 80);
        var dmin = Fp16.Read(block + 82);
        for (var half = 0; half < 2; half++)
        {
            var q = block + 16 + 32 * half;
            for (var j = 0; j < 4; j++)
            {
                var shift = 2 * j;
                var group = 8 * half + 2 * j;
                nint index = 128 * half + 32 * j;
                int sc0 = scales[group], sc1 = scales[group + 1];
                TF d0 = S.Broadcast(d * (sc0 & 15)), m0 = S.Broadcast(-(dmin * (sc0 >> 4)));
                TF d1 = S.Broadcast(d * (sc1 & 15)), m1 = S.Broadcast(-(dmin * (sc1 >> 4)));
                for (nint l = 0; l < 16; l += S.Count)
                {
                    sink.ScaledOffset(index + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + l), shift), 3)), d0, m0, 0);
                    sink.ScaledOffset(index + 16 + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + 16 + l), shift), 3)), d1, m1, 1);
                }
            }
        }
    }
}
