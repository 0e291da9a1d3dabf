using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// TQ2_0 (2.06 bits, ternary): 256 weights as 2-bit codes q, four per byte (bits 2l of bytes 32h..32h + 31 are weights
/// 128h + 32l..), then fp16 d: w = (q − 1)·d.
/// </summary>
internal readonly unsafe struct Tq2_0Block : IQ8KDot
{
    public static int BlockSize => 256;
    public static int BlockBytes => 66;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block + 64));
        for (var h = 0; h < 2; h++)
            for (var l = 0; l < 4; l++)
                for (nint m = 0; m < 32; m += S.Count)
                {
                    var q = S.Subtract(S.And(S.ShiftRight(S.Bytes(block + 32 * h + m), 2 * l), 3), 1);
                    sink.Scaled(128 * h + 32 * l + m, S.ToFloat(q), d, 0);
                }
    }

    // In integers the codes are q (0..2) with a minimum of −1 in every group: w = d·(q − 1).
    public static bool SignedCodes => false;
    public static int LargestCode => 3;
    public static KMins Mins => KMins.SameScale;
    public static float Scale(byte* block) => Fp16.Read(block + 64);
    public static float MinScale(byte* block) => 0;

    /// <summary>Chunk c: bits 2(c mod 4) of bytes 32(c / 4) ..</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Chunk<L, TB, TS, TF>(byte* block, int c)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        L.And(L.ShiftRight(L.Load(block + 32 * (c >> 2)), 2 * (c & 3)), 3);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Quad<L, TB, TS, TF>(byte* block, int h, out TB c0, out TB c1, out TB c2, out TB c3)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var bytes = L.Load(block + 32 * h);
        c0 = L.And(bytes, 3);
        c1 = L.And(L.ShiftRight(bytes, 2), 3);
        c2 = L.And(L.ShiftRight(bytes, 4), 3);
        c3 = L.And(L.ShiftRight(bytes, 6), 3);
    }

    /// <summary>Every group scale 1, every minimum −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB Scales<L, TB, TS, TF>(byte* block, out TB minimums)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        minimums = L.Widen(Vector128.Create((sbyte)-1), 1);
        return L.Widen(Vector128.Create((sbyte)1), 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TB PairScales<L, TB, TS, TF>(byte* a, byte* b, out TB minimumsA, out TB scalesB, out TB minimumsB)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        ChunkQuads.SeparateScales<Tq2_0Block, L, TB, TS, TF>(a, b, out minimumsA, out scalesB, out minimumsB);
}
