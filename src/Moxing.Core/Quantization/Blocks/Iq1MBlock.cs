using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// IQ1_M (1.75 bits): 256 weights as 8 groups of 32; 32 low index bytes, per eight weights a nibble of 3 index high bits
/// (11-bit indices into <see cref="IqGrids.Iq1S"/>) and a shift sign, then four 16-bit words holding per half group a
/// 3-bit scale s and, in their top nibbles, the fp16 d: w = d·(2s + 1) · (level ± 0.125).
/// </summary>
internal readonly unsafe struct Iq1MBlock : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 56;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        uint s0 = Unsafe.ReadUnaligned<ushort>(block + 48), s1 = Unsafe.ReadUnaligned<ushort>(block + 50);
        uint s2 = Unsafe.ReadUnaligned<ushort>(block + 52), s3 = Unsafe.ReadUnaligned<ushort>(block + 54);
        var bits = (ushort)((s0 >> 12) | ((s1 >> 8) & 0x00f0) | ((s2 >> 4) & 0x0f00) | (s3 & 0xf000));
        var d = Fp16.Read((byte*)&bits);
        Levels32 levels;
        var p = (ulong*)&levels;
        for (var ib = 0; ib < 8; ib++)
        {
            int scales = Unsafe.ReadUnaligned<ushort>(block + 48 + 2 * (ib / 2)) >> (6 * (ib % 2));
            for (var l = 0; l < 4; l++)
            {
                int high = block[32 + 2 * ib + l / 2] >> (4 * (l % 2));
                p[l] = IqGrids.Shifted(IqGrids.Iq1S[block[4 * ib + l] | ((high & 7) << 8)], (high & 8) != 0);
            }
            IqGrids.Emit<S, TF, TI, TSink>((byte*)p, 32 * ib, S.Broadcast(d * (2 * (scales & 7) + 1)),
                S.Broadcast(d * (2 * ((scales >> 3) & 7) + 1)), true, ref sink);
        }
    }
}
