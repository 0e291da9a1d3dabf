using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q5_K: as <see cref="Q4KBlock"/> plus a fifth bit per weight (qh[32]: bit 2j and 2j+1 of byte l belong to sub-blocks
/// 2j and 2j+1); w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q5KBlock : IQ8KDot
{
    public static int BlockSize => 256;
    public static int BlockBytes => 176;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        var dmin = Fp16.Read(block + 2);
        var scales = new ScaleSet();
        KScales.Unpack(block + 4, d, dmin, ref scales);
        var qh = block + 16;
        for (var j = 0; j < 4; j++)
        {
            var q = block + 48 + 32 * j;
            TF d0 = S.Broadcast(scales[2 * j]), m0 = S.Broadcast(scales[8 + 2 * j]);
            TF d1 = S.Broadcast(scales[2 * j + 1]), m1 = S.Broadcast(scales[9 + 2 * j]);
            nint index = 64 * j;
            for (nint l = 0; l < 32; l += S.Count)
            {
                var b = S.Bytes(q + l);
                var h = S.Bytes(qh + l);
                var lo = S.Or(S.And(b, 15), S.ShiftLeft(S.And(S.ShiftRight(h, 2 * j), 1), 4));
                var hi = S.Or(S.ShiftRight(b, 4), S.ShiftLeft(S.And(S.ShiftRight(h, 2 * j + 1), 1), 4));
                sink.ScaledOffset(index + l, S.ToFloat(lo), d0, m0, 0);
                sink.ScaledOffset(index + 32 + l, S.ToFloat(hi), d1, m1, 1);
            }
        }
    }

    public static bool SignedCodes => false;
    public static KMins Mins => KMins.OwnScale;

    public static float Scale(byte* block) => Fp16.Read(block);
    public static float MinScale(byte* block) => -Fp16.Read(block + 2);

    /// <summary>Chunk c's low nibbles (even c) or high nibbles (odd c), with bit c of each qh byte as the fifth bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.Or((c & 1) == 0 ? L.And(L.Load(block + 48 + 32 * (c >> 1)), 15) : L.ShiftRight(L.Load(block + 48 + 32 * (c >> 1)), 4),
            L.ShiftLeft(L.And(L.ShiftRight(L.Load(block + 16), c), 1), 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        return KScales.Scales<L, TB, TS, TF>(block + 4, out minimums);
    }
}
