using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

public unsafe class PanelPackerTests
{
    public static TheoryData<DType> IntegerTypes() => IntegerKernelTests.IntegerTypes();

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void VectorPackingEqualsScalarPackingByteForByte(DType type)
    {
        // the AVX2 route (256-bit lanes) against the scalar route, the reference, on a whole panel and a partial one
        if (!Avx2ByteLanes.IsSupported) return;
        var rng = new Random(17 + (int)type);
        const int rows = 13;
        var cols = 3 * 256;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        foreach (var (first, count) in new[] { (0, Panel.Rows), (Panel.Rows, rows - Panel.Rows) })
        {
            var scalar = Pack<ScalarByteLanes, Bytes32, int, float>(w.Tensor, first, count).Bytes;
            var vector = Pack<Avx2ByteLanes, Vector256<byte>, Vector256<int>, Vector256<float>>(w.Tensor, first, count).Bytes;
            var at = scalar.AsSpan().CommonPrefixLength(vector);
            Assert.True(at == scalar.Length, $"{type} rows {first}..{first + count - 1}: byte {at} of the panel differs");
        }
    }

    [Theory]
    [InlineData(DType.Q8_0)]
    [InlineData(DType.Q6_K)]
    public void PartialPanelRepeatsItsFirstRow(DType type)
    {
        var rng = new Random(23);
        const int rows = 3;
        var cols = 256;
        using var w = new NativeTensor(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));
        var panel = Pack<ScalarByteLanes, Bytes32, int, float>(w.Tensor, 0, rows).Bytes;
        // the first code vector holds codes 0..3 of each row's 32-bit lane: lanes 3..7 repeat lane 0, lanes 1 and 2 differ from it
        var lanes = Enumerable.Range(0, Panel.Rows).Select(r => BitConverter.ToUInt32(panel, 4 * r)).ToArray();
        Assert.All(lanes[rows..], lane => Assert.Equal(lanes[0], lane));
        Assert.NotEqual(lanes[0], lanes[1]);
        Assert.NotEqual(lanes[0], lanes[2]);
    }

    [Theory]
    [MemberData(nameof(IntegerTypes))]
    public void PanelCodesReachButNeverExceedTheFormatsLargestCode(DType type)
    {
        // the tiles add as many byte products in 16 bits as LargestCode allows: no unsigned code may exceed it (random blocks),
        // and blocks with every bit set reach it, so it is no looser than the format; signed codes declare a byte's 127
        var rng = new Random(29 + (int)type);
        const int rows = Panel.Rows;
        var cols = 2 * 256;
        var (random, declared, signed) = LargestPackedCode(type, RandomWeights.Bytes(type, rows * cols, rng), rows, cols);
        if (signed)
        {
            Assert.Equal(sbyte.MaxValue, declared);
            return;
        }
        Assert.True(random <= declared, $"{type}: code {random} in a panel, above the declared largest code {declared}");
        Assert.Equal(declared, LargestPackedCode(type, RandomWeights.Filled(type, rows * cols, 0xFF), rows, cols).Largest);
    }

    // The largest code byte of the panel packed from `bytes`, with the format's declared largest code and signedness.
    private static (int Largest, int Declared, bool Signed) LargestPackedCode(DType type, byte[] bytes, int rows, int cols)
    {
        using var w = new NativeTensor(type, rows, cols, bytes);
        var packed = Pack<ScalarByteLanes, Bytes32, int, float>(w.Tensor, 0, rows);
        var largest = 0;
        for (var block = 0; block < packed.Bytes.Length; block += packed.BlockBytes)
            largest = Math.Max(largest, packed.Bytes.AsSpan(block, packed.CodeBytes).ToArray().Max());
        return (largest, packed.LargestCode, packed.Signed);
    }

    /// <summary>A packed panel, how many code bytes start each of its blocks, and the format's code range.</summary>
    private sealed record Packed(byte[] Bytes, int BlockBytes, int CodeBytes, int LargestCode, bool Signed);

    private static Packed Pack<L, TB, TS, TF>(StoredTensor w, int first, int count)
        where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct =>
        w.Type switch
        {
            DType.Q4_0 => Small<Q4_0Block, L, TB, TS, TF>(w, first, count),
            DType.Q4_1 => Small<Q4_1Block, L, TB, TS, TF>(w, first, count),
            DType.Q5_0 => Small<Q5_0Block, L, TB, TS, TF>(w, first, count),
            DType.Q5_1 => Small<Q5_1Block, L, TB, TS, TF>(w, first, count),
            DType.Q8_0 => Small<Q8_0Block, L, TB, TS, TF>(w, first, count),
            DType.IQ4_NL => Small<Iq4NlBlock, L, TB, TS, TF>(w, first, count),
            DType.MXFP4 => Small<Mxfp4Block, L, TB, TS, TF>(w, first, count),
            DType.Q2_K => Super<Q2KBlock, L, TB, TS, TF>(w, first, count),
            DType.Q3_K => Super<Q3KBlock, L, TB, TS, TF>(w, first, count),
            DType.Q4_K => Super<Q4KBlock, L, TB, TS, TF>(w, first, count),
            DType.Q5_K => Super<Q5KBlock, L, TB, TS, TF>(w, first, count),
            DType.Q6_K => Super<Q6KBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ4_XS => Super<Iq4XsBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ2_XXS => Super<Iq2XxsBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ2_XS => Super<Iq2XsBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ2_S => Super<Iq2SBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ3_XXS => Super<Iq3XxsBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ3_S => Super<Iq3SBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ1_S => Super<Iq1SBlock, L, TB, TS, TF>(w, first, count),
            DType.IQ1_M => Super<Iq1MBlock, L, TB, TS, TF>(w, first, count),
            DType.TQ2_0 => Super<Tq2_0Block, L, TB, TS, TF>(w, first, count),
            _ => throw new ArgumentException($"{w.Type} has no panel packing", nameof(w)),
        };

    private static Packed Small<F, L, TB, TS, TF>(StoredTensor w, int first, int count)
        where F : struct, IQ8Dot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var blocks = (int)(w.RowLength / F.BlockSize);
        var panel = new byte[blocks * Panel.SmallBytes];
        fixed (byte* p = panel)
            PanelPacker.PackSmall<F, L, TB, TS, TF>(w.Data, (nint)w.RowBytes, first, count, blocks, p);
        return new(panel, Panel.SmallBytes, Panel.SmallScale, F.LargestCode, F.SignedCodes);
    }

    private static Packed Super<F, L, TB, TS, TF>(StoredTensor w, int first, int count)
        where F : struct, IQ8KDot where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var blocks = (int)(w.RowLength / F.BlockSize);
        var panel = new byte[blocks * Panel.SuperBytes];
        fixed (byte* p = panel)
            PanelPacker.PackSuper<F, L, TB, TS, TF>(w.Data, (nint)w.RowBytes, first, count, blocks, p);
        return new(panel, Panel.SuperBytes, Panel.SuperScales, F.LargestCode, F.SignedCodes);
    }
}
