using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ3_XXS (3.06 bits): 256 weights as 8 groups of 32; fp16 d, 64 bytes indexing <see cref="IqGrids.Iq3Xxs"/> (four
/// levels each), then per group a word of four 7-bit sign patterns and a 4-bit scale s: w = d·(0.5 + s)·0.5 · ±level.
/// </summary>
internal readonly unsafe struct Iq3XxsBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 98;

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
            var aux = Unsafe.ReadUnaligned<uint>(block + 66 + 4 * ib);
            for (var l = 0; l < 4; l++)
                p[l] = IqGrids.SignedBySeven(IqGrids.Iq3Xxs[q[2 * l]] | IqGrids.Iq3Xxs[q[2 * l + 1]] << 32, (aux >> (7 * l)) & 127);
            var db = S.Broadcast(d * (0.5f + (aux >> 28)) * 0.5f);
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, db, db, false, ref sink);
        }
    }
}
