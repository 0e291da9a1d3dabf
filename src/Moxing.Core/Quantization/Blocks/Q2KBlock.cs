using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Q2_K: 256 weights as 16 groups of 16 with 4-bit scales and mins (scales[16]), 2-bit codes (qs[64]), fp16 d and dmin;
/// w = (d * sc) * q - dmin * m.
/// </summary>
internal readonly unsafe struct Q2KBlock : IQ8KDot
{
    public static int BlockSize => 256;
    public static int BlockBytes => 84;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var packed = Vector128.Load(block);
        var d = Fp16.Read(block + 80);
        var dmin = -Fp16.Read(block + 82);
        ScaleSet scales = new(), mins = new();
        scales.Set(packed & Vector128.Create((byte)15), d, d);
        mins.Set(Vector128.ShiftRightLogical(packed, 4), dmin, dmin);
        for (var half = 0; half < 2; half++)
        {
            var q = block + 16 + 32 * half;
            for (var j = 0; j < 4; j++)
            {
                var shift = 2 * j;
                var group = 8 * half + 2 * j;
                nint index = 128 * half + 32 * j;
                TF d0 = S.Broadcast(scales[group]), m0 = S.Broadcast(mins[group]);
                TF d1 = S.Broadcast(scales[group + 1]), m1 = S.Broadcast(mins[group + 1]);
                for (nint l = 0; l < 16; l += S.Count)
                {
                    sink.ScaledOffset(index + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + l), shift), 3)), d0, m0, 0);
                    sink.ScaledOffset(index + 16 + l, S.ToFloat(S.And(S.ShiftRight(S.Bytes(q + 16 + l), shift), 3)), d1, m1, 1);
                }
            }
        }
    }

    public static bool SignedCodes => false;
    public static KMins Mins => KMins.OwnScale;

    public static float Scale(byte* block) => Fp16.Read(block + 80);
    public static float MinScale(byte* block) => -Fp16.Read(block + 82);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.And(L.ShiftRight(L.Load(block + 16 + 32 * (c >> 2)), 2 * (c & 3)), 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var packed = Vector128.Load(block);
        minimums = L.Widen(Vector128.ShiftRightLogical(packed, 4).AsSByte(), 1);
        return GroupScales.ChunkOrder<L, TB, TS, TF>((packed & Vector128.Create((byte)15)).AsSByte());
    }
}
