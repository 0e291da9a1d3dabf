using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ2_XS (2.31 bits): 256 weights as 8 groups of 32; fp16 d, per eight weights a 16-bit word (9-bit index into
/// <see cref="IqGrids.Iq2Xs"/>, 7-bit sign pattern), then per group two 4-bit scales s for its halves:
/// w = d·(0.5 + s)·0.25 · ±level.
/// </summary>
internal readonly unsafe struct Iq2XsBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 74;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        Levels32 levels;
        var p = (ulong*)&levels;
        for (var ib = 0; ib < 8; ib++)
        {
            for (var l = 0; l < 4; l++)
            {
                uint q = Unsafe.ReadUnaligned<ushort>(block + 2 + 8 * ib + 2 * l);
                p[l] = IqGrids.SignedBySeven(IqGrids.Iq2Xs[q & 511], q >> 9);
            }
            int scales = block[66 + ib];
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, S.Broadcast(d * (0.5f + (scales & 15)) * 0.25f),
                S.Broadcast(d * (0.5f + (scales >> 4)) * 0.25f), false, ref sink);
        }
    }
}
