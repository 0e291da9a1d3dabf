using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ1_S (1.56 bits): 256 weights as 8 groups of 32; fp16 d, 32 low index bytes, then per group a 16-bit word of four
/// 3-bit index highs (11-bit indices into <see cref="IqGrids.Iq1S"/>, levels −1, 0, 1), a 3-bit scale s and a shift sign:
/// w = d·(2s + 1) · (level ± 0.125).
/// </summary>
internal readonly unsafe struct Iq1SBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 50;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        Levels32 levels;
        var p = (ulong*)&levels;
        for (var ib = 0; ib < 8; ib++)
        {
            int high = Unsafe.ReadUnaligned<ushort>(block + 34 + 2 * ib);
            var negative = (high & 0x8000) != 0;
            for (var l = 0; l < 4; l++)
                p[l] = IqGrids.Shifted(IqGrids.Iq1S[block[2 + 4 * ib + l] | (((high >> (3 * l)) & 7) << 8)], negative);
            var dl = S.Broadcast(d * (2 * ((high >> 12) & 7) + 1));
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, dl, dl, true, ref sink);
        }
    }
}
