using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ2_S (2.56 bits): 256 weights as 8 groups of 32; fp16 d, 32 low index bytes, 32 sign bytes, per group a byte of
/// four 2-bit index highs (10-bit indices into <see cref="IqGrids.Iq2S"/>), then per group two 4-bit scales s:
/// w = d·(0.5 + s)·0.25 · ±level.
/// </summary>
internal readonly unsafe struct Iq2SBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 82;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        Levels32 levels;
        var p = (ulong*)&levels;
        for (var ib = 0; ib < 8; ib++)
        {
            int high = block[66 + ib];
            for (var l = 0; l < 4; l++)
            {
                var index = block[2 + 4 * ib + l] | ((high << (8 - 2 * l)) & 0x300);
                p[l] = IqGrids.Signed(IqGrids.Iq2S[index], block[34 + 4 * ib + l]);
            }
            int scales = block[74 + ib];
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, S.Broadcast(d * (0.5f + (scales & 15)) * 0.25f),
                S.Broadcast(d * (0.5f + (scales >> 4)) * 0.25f), false, ref sink);
        }
    }
}
