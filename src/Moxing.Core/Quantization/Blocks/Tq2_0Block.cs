using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// TQ2_0 (2.06 bits, ternary): 256 weights as 2-bit codes q, four per byte (bits 2l of bytes 32h..32h + 31 are weights
/// 128h + 32l..), then fp16 d: w = (q − 1)·d.
/// </summary>
internal readonly unsafe struct Tq2_0Block : IBlockFormat
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
}
