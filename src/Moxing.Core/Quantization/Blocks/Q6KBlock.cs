using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q6_K: 256 weights as 16 groups of 16; low nibbles (ql[128]), high 2 bits (qh[64]), signed 8-bit scales (scales[16]),
/// fp16 d; w = (d * sc) * (q - 32).
/// </summary>
internal readonly unsafe struct Q6KBlock : IQ8KDot
{
    public static int BlockSize => 256;
    public static int BlockBytes => 210;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var scales = new ScaleSet();
        scales.Set(Vector128.Load((sbyte*)(block + 192)), Fp16.Read(block + 208));
        for (var half = 0; half < 2; half++)
        {
            var ql = block + 64 * half;
            var qh = block + 128 + 32 * half;
            nint index = 128 * half;
            for (var g = 0; g < 2; g++)
            {
                var group = 8 * half + g;
                TF d1 = S.Broadcast(scales[group]), d2 = S.Broadcast(scales[group + 2]);
                TF d3 = S.Broadcast(scales[group + 4]), d4 = S.Broadcast(scales[group + 6]);
                for (nint l = 16 * g; l < 16 * g + 16; l += S.Count)
                {
                    var a = S.Bytes(ql + l);
                    var b = S.Bytes(ql + 32 + l);
                    var h = S.Bytes(qh + l);
                    var q1 = S.Or(S.And(a, 15), S.ShiftLeft(S.And(h, 3), 4));
                    var q2 = S.Or(S.And(b, 15), S.ShiftLeft(S.And(S.ShiftRight(h, 2), 3), 4));
                    var q3 = S.Or(S.ShiftRight(a, 4), S.ShiftLeft(S.And(S.ShiftRight(h, 4), 3), 4));
                    var q4 = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.ShiftRight(h, 6), 4));
                    sink.Scaled(index + l, S.ToFloat(S.Subtract(q1, 32)), d1, 0);
                    sink.Scaled(index + 32 + l, S.ToFloat(S.Subtract(q2, 32)), d2, 1);
                    sink.Scaled(index + 64 + l, S.ToFloat(S.Subtract(q3, 32)), d3, 2);
                    sink.Scaled(index + 96 + l, S.ToFloat(S.Subtract(q4, 32)), d4, 3);
                }
            }
        }
    }

    public static bool SignedCodes => false;
    public static KMins Mins => KMins.SameScale;

    public static float Scale(byte* block) => Fp16.Read(block + 208);
    public static float MinScale(byte* block) => 0;

    /// <summary>Chunk c = 4 · half + j: low nibbles of ql[64·half + 32·(j &amp; 1) ..] (high nibbles for j ≥ 2) and bits 2j..2j+1 of qh[32·half ..].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        int half = c >> 2, j = c & 3;
        var q = L.Load(block + 64 * half + 32 * (j & 1));
        var low = j < 2 ? L.And(q, 15) : L.ShiftRight(q, 4);
        var h = L.Load(block + 128 + 32 * half);
        return L.Or(low, L.ShiftLeft(j == 3 ? L.ShiftRight(h, 6) : L.And(L.ShiftRight(h, 2 * j), 3), 4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var sc = Vector128.Load((sbyte*)(block + 192));
        minimums = L.Widen(sc, -32);
        return GroupScales.ChunkOrder<L, TB, TS, TF>(sc);
    }
}
