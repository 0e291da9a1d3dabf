using System.Runtime.CompilerServices;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// TQ1_0 (1.69 bits, ternary): 256 weights as base-3 digits, five per byte in 48 bytes and four per byte in 4 more, then
/// fp16 d. Digit n of byte b is ((b·3ⁿ mod 256)·3) &gt;&gt; 8; w = (digit − 1)·d. Weights 0..159 are digits n of bytes 0..31
/// (32 per n), 160..239 digits n of bytes 32..47 (16 per n), 240..255 digits n of bytes 48..51 (4 per n).
/// </summary>
internal readonly unsafe struct Tq1_0Block : IBlockFormat
{
    public static int BlockSize => 256;
    public static int BlockBytes => 54;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct where TSink : struct, IWeightSink<TF>
    {
        var d = S.Broadcast(Fp16.Read(block + 52));
        var levels = new Bytes32();
        var p = (byte*)&levels;
        for (var group = 0; group < 8; group++)
        {
            for (var i = 0; i < 32; i++) p[i] = Digit(block, 32 * group + i);
            IqGrids.Emit<S, TF, TI, TSink>(p, 32 * group, d, d, false, ref sink);
        }
    }

    // Weight o's digit minus one, as a byte.
    private static byte Digit(byte* block, int o)
    {
        var (b, n) = o < 160 ? (o % 32, o / 32) : o < 240 ? (32 + (o - 160) % 16, (o - 160) / 16) : (48 + (o - 240) % 4, (o - 240) / 4);
        var q = (byte)(block[b] * Pow3[n]);
        return (byte)(((q * 3) >> 8) - 1);
    }

    private static ReadOnlySpan<byte> Pow3 => [1, 3, 9, 27, 81];
}
