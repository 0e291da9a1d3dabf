using Moxing.Core.Kernels;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Tensors;
using Moxing.Core.Tests.Quantization;

namespace Moxing.Core.Tests.Kernels;

/// <summary>Q4_K, Q5_K, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL, IQ4_XS and Q8_0 matrices repacked eight rows at a time (<see cref="RepackedMatrix"/>) against the file-layout kernels.</summary>
public class RepackedMatrixTests
{
    private static readonly SimdPath[] VectorPaths = SimdPaths.Supported.Where(p => p >= SimdPath.Avx2).ToArray();

    // without AVX2 nothing repacks: the one assertion left is that
    private static bool Supported()
    {
        if (VectorPaths.Length > 0) return true;
        using var w = RandomMatrix(DType.Q4_K, 8, 256, new Random(1));
        using var arena = new TensorArena();
        Assert.Null(RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false));
        return false;
    }

    public static TheoryData<DType> RepackedTypes() => new(DType.Q4_K, DType.Q5_K, DType.Q4_0, DType.Q5_0, DType.Q4_1, DType.Q5_1, DType.IQ4_NL, DType.IQ4_XS, DType.Q8_0);

    private static NativeTensor RandomMatrix(DType type, int rows, int cols, Random rng) => new(type, rows, cols, RandomWeights.Bytes(type, rows * cols, rng));

    // the file-layout integer product on the scalar path: the same exact integer sums and float steps
    private static float[] FileLayout(StoredTensor w, float[] x, int n)
    {
        var y = new float[n * w.RowCount];
        MatMul.Rows(w, x, n, y, 0, (int)w.RowCount, SimdPath.Scalar);
        return y;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        for (var r = 0; r < expected.Length; r++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[r]) == BitConverter.SingleToInt32Bits(actual[r]),
                $"{what} output {r}: {actual[r]:R} vs the file layout's {expected[r]:R}");
    }

    [Theory]
    [InlineData(DType.Q4_K, 8, 256, 1)]
    [InlineData(DType.Q4_K, 24, 768, 2)]
    [InlineData(DType.Q4_K, 64, 2048, 3)]
    [InlineData(DType.Q5_K, 8, 256, 1)]
    [InlineData(DType.Q5_K, 24, 768, 2)]
    [InlineData(DType.Q5_K, 64, 2048, 3)]
    [InlineData(DType.Q4_0, 8, 32, 1)]
    [InlineData(DType.Q4_0, 24, 896, 2)]
    [InlineData(DType.Q5_0, 8, 32, 1)]
    [InlineData(DType.Q5_0, 24, 896, 2)]
    [InlineData(DType.Q5_0, 64, 2048, 3)]
    [InlineData(DType.Q4_1, 8, 32, 1)]
    [InlineData(DType.Q4_1, 24, 896, 2)]
    [InlineData(DType.Q5_1, 8, 32, 1)]
    [InlineData(DType.Q5_1, 24, 896, 2)]
    [InlineData(DType.Q5_1, 64, 2048, 3)]
    [InlineData(DType.IQ4_NL, 8, 32, 1)]
    [InlineData(DType.IQ4_NL, 24, 896, 2)]
    [InlineData(DType.IQ4_NL, 64, 2048, 3)]
    [InlineData(DType.IQ4_XS, 8, 256, 1)]
    [InlineData(DType.IQ4_XS, 24, 768, 2)]
    [InlineData(DType.IQ4_XS, 64, 2048, 3)]
    [InlineData(DType.Q8_0, 8, 32, 1)]
    [InlineData(DType.Q8_0, 24, 896, 2)]
    [InlineData(DType.Q8_0, 64, 2048, 3)]
    public void OneVectorGivesTheFileLayoutsBits(DType type, int rows, int cols, int seed)
    {
        if (!Supported()) return;
        var rng = new Random(seed);
        using var w = RandomMatrix(type, rows, cols, rng);
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false);
        Assert.NotNull(repacked);
        using var pool = new WorkerPool(2);
        for (var trial = 0; trial < 3; trial++)
        {
            var x = RandomWeights.Floats(cols, rng);
            var expected = FileLayout(w.Tensor, x, 1);
            foreach (var path in VectorPaths)
            {
                var y = new float[rows];
                MatMul.Parallel(pool, repacked, x, 1, y, path);
                AssertSameBits(expected, y, $"{rows}x{cols} trial {trial} on {path}");
            }
        }
    }

    [Theory]
    [InlineData(DType.Q4_K, 0xFF)]
    [InlineData(DType.Q5_K, 0xFF)]
    [InlineData(DType.Q4_0, 0xFF)]
    [InlineData(DType.Q5_0, 0xFF)]
    [InlineData(DType.Q4_1, 0xFF)]
    [InlineData(DType.Q5_1, 0xFF)]
    [InlineData(DType.IQ4_NL, 0xFF)]
    [InlineData(DType.IQ4_NL, 0x00)]
    [InlineData(DType.IQ4_XS, 0xFF)]
    [InlineData(DType.IQ4_XS, 0x00)]
    [InlineData(DType.Q8_0, 0x80)]
    [InlineData(DType.Q8_0, 0x7F)]
    public void LargestCodesScalesAndActivationsDoNotOverflow(DType type, byte fill)
    {
        if (!Supported()) return;
        // every code at its largest (Q4_K, Q4_0 and Q4_1 15, Q5_K, Q5_0 and Q5_1 31, IQ4_NL's and IQ4_XS's level 113, or with 0x00
        // their level −127), the K scales and minimums 63 (IQ4_XS's block scale 31, or −32), d = dmin = m = 1: the 16-bit sums
        // reach 4 · 2 · 15 · 127 (Q4_K, Q4_0, Q4_1), 4 · 2 · 31 · 127 (Q5_K, Q5_0, Q5_1) and 2 · 127 · 127 (IQ4_NL, IQ4_XS);
        // Q8_0's codes all −128 (0x80, a code no quantizer writes) or 127 reach 2 · 128 · 127
        using var w = new NativeTensor(type, 16, 512, RandomWeights.Filled(type, 16 * 512, fill));
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false)!;
        foreach (var sign in new[] { 1f, -1f })
        {
            var x = Enumerable.Range(0, 512).Select(i => sign * (1000f + i % 3)).ToArray();
            var expected = FileLayout(w.Tensor, x, 1);
            var y = new float[16];
            MatMul.Parallel(WorkerPool.Shared, repacked, x, 1, y, VectorPaths[^1]);
            AssertSameBits(expected, y, $"sign {sign}");
        }
    }

    [Theory]
    [MemberData(nameof(RepackedTypes))]
    public void SeveralVectorsReadTheFilesBytesExactly(DType type)
    {
        if (!Supported()) return;
        var rng = new Random(7);
        using var w = RandomMatrix(type, 16, 512, rng);
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false)!;
        // sixteen tokens take the panels (the K formats from unpacked rows, the nibble formats from panels built off their groups: the
        // same panels); three tokens take the K formats' row kernels on unpacked rows and the nibble formats' panels (the file's row
        // kernels: the same float steps); one token on a path without the eight-row kernel unpacks too
        foreach (var (n, path) in new[] { (16, SimdPaths.Best), (3, SimdPaths.Best), (1, SimdPath.Scalar), (1, SimdPath.Vector128) })
        {
            if (!SimdPaths.IsSupported(path)) continue;
            var x = RandomWeights.Floats(n * 512, rng);
            var expected = new float[n * 16];
            var y = new float[n * 16];
            MatMul.Parallel(WorkerPool.Shared, w.Tensor, x, n, expected, path);
            MatMul.Parallel(WorkerPool.Shared, repacked, x, n, y, path);
            AssertSameBits(expected, y, $"{n} tokens on {path}");
        }
    }

    [Theory]
    [MemberData(nameof(RepackedTypes))]
    public unsafe void EveryGroupUnpacksToTheFilesBytes(DType type)
    {
        if (!Supported()) return;
        var bytes = RandomWeights.Bytes(type, 24 * 768, new Random(8));
        using var w = new NativeTensor(type, 24, 768, bytes);
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false)!;
        var rowBytes = (nint)w.Tensor.RowBytes;
        var back = new byte[bytes.Length];
        fixed (byte* rows = back)
            for (var g = 0; g < 3; g++) repacked.Unpack(g, rows + g * RepackedMatrix.GroupRows * rowBytes, rowBytes);
        Assert.Equal(bytes, back);
    }

    [Fact]
    public void FifthBitsMoveToTheirCodeVectorsLanesAndBack()
    {
        // code k of code vector v (file bit 4v + k) is stored at bit 8k + v
        for (var c = 0; c < 32; c++)
            Assert.Equal(1u << (8 * (c % 4) + c / 4), NibbleRows8<Q5_0Nibbles>.LaneBits(1u << c));
        var rng = new Random(4);
        for (var i = 0; i < 1000; i++)
        {
            var word = (uint)rng.NextInt64(1L << 32);
            Assert.Equal(word, NibbleRows8<Q5_1Nibbles>.FileBits(
                NibbleRows8<Q5_1Nibbles>.LaneBits(word)));
        }
    }

    [Fact]
    public void OnlyWholeGroupsOfFiniteRowsOfTheRepackedFormatsRepack()
    {
        if (!Supported()) return;
        var rng = new Random(9);
        using var arena = new TensorArena();
        using var sevenRows = RandomMatrix(DType.Q5_0, 7, 256, rng);
        using var twelveRows = RandomMatrix(DType.IQ4_XS, 12, 256, rng);
        using var q6 = RandomMatrix(DType.Q6_K, 8, 256, rng);
        Assert.Null(RepackedMatrix.TryCreate(sevenRows.Tensor, arena, releaseFilePages: false));
        Assert.Null(RepackedMatrix.TryCreate(twelveRows.Tensor, arena, releaseFilePages: false));
        Assert.Null(RepackedMatrix.TryCreate(q6.Tensor, arena, releaseFilePages: false));
        foreach (var (type, blockBytes, field) in new[] { (DType.Q4_K, 144, 0), (DType.Q4_K, 144, 2), (DType.Q5_K, 176, 0), (DType.Q5_K, 176, 2), (DType.Q4_0, 18, 0), (DType.Q5_0, 22, 0), (DType.Q4_1, 20, 0), (DType.Q4_1, 20, 2),
                     (DType.Q5_1, 24, 0), (DType.Q5_1, 24, 2), (DType.IQ4_NL, 18, 0), (DType.IQ4_XS, 136, 0), (DType.Q8_0, 34, 0) })
        {
            var bytes = RandomWeights.Bytes(type, 8 * 512, rng);
            BitConverter.TryWriteBytes(bytes.AsSpan(5 * blockBytes + field), Half.PositiveInfinity);
            using var infinite = new NativeTensor(type, 8, 512, bytes);
            Assert.Null(RepackedMatrix.TryCreate(infinite.Tensor, arena, releaseFilePages: false));
        }
    }

    [Fact]
    public void WarmOneVectorProductsAllocateNothing()
    {
        if (!Supported()) return;
        var rng = new Random(10);
        using var w = RandomMatrix(DType.Q5_0, 64, 512, rng);
        using var arena = new TensorArena();
        var repacked = RepackedMatrix.TryCreate(w.Tensor, arena, releaseFilePages: false)!;
        var x = RandomWeights.Floats(512, rng);
        var y = new float[64];
        using var pool = new WorkerPool(2);
        for (var warm = 0; warm < 3; warm++) MatMul.Parallel(pool, repacked, x, 1, y, SimdPaths.Best);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 20; i++) MatMul.Parallel(pool, repacked, x, 1, y, SimdPaths.Best);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
