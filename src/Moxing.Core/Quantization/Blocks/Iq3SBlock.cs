using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ3_S (3.44 bits): 256 weights as 8 groups of 32; fp16 d, 64 low index bytes, per group a byte of eight index high
/// bits (9-bit indices into <see cref="IqGrids.Iq3S"/>), 32 sign bytes, a 4-bit scale s per group: w = d·(1 + 2s) · ±level.
/// </summary>
internal readonly unsafe struct Iq3SBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 110;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = Fp16.Read(block);
        Levels32 levels;
        var p = (ulong*)&levels;
        for (var ib = 0; ib < 8; ib++)
        {
            var q = block + 2 + 8 * ib;
            int high = block[66 + ib];
            for (var l = 0; l < 4; l++)
            {
                var first = IqGrids.Iq3S[q[2 * l] | ((high << (8 - 2 * l)) & 256)];
                var second = IqGrids.Iq3S[q[2 * l + 1] | ((high << (7 - 2 * l)) & 256)];
                p[l] = IqGrids.Signed(first | second << 32, block[74 + 4 * ib + l]);
            }
            var db = S.Broadcast(d * (1 + 2 * ((block[106 + ib / 2] >> (4 * (ib & 1))) & 15)));
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, db, db, false, ref sink);
        }
    }
}
