using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// Quantizes float activations to <see cref="ActivationBlocks"/>: per block d = max|x| / 127 and q = round(x / d), ties to
/// even, with the block's code sums. Every instruction set gives the same bytes: the same IEEE operations per value.
/// </summary>
internal static unsafe class ActivationQuantizer
{
    /// <summary>Quantizes <paramref name="rows"/> rows of <paramref name="k"/> floats (a multiple of <paramref name="blockSize"/>) at
    /// <paramref name="x"/> into consecutive rows of blocks at <paramref name="dst"/>.</summary>
    public static void Quantize(float* x, int k, int rows, int blockSize, byte* dst, SimdPath path)
    {
        var rowBytes = ActivationBlocks.RowBytes(k, blockSize);
        for (var r = 0; r < rows; r++, x += k, dst += rowBytes)
        {
            switch (path)
            {
                case SimdPath.Avx512: Row<Avx512Lanes, Vector512<float>, Vector512<int>>(x, k, blockSize, dst); break;
                case SimdPath.Avx2: Row<Avx2Lanes, Vector256<float>, Vector256<int>>(x, k, blockSize, dst); break;
                case SimdPath.Vector128: Row<Vector128Lanes, Vector128<float>, Vector128<int>>(x, k, blockSize, dst); break;
                default: Row<ScalarLanes, float, int>(x, k, blockSize, dst); break;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<S, TF, TI>(float* x, int k, int blockSize, byte* dst)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        if (blockSize == ActivationBlocks.Q8Size)
        {
            for (var i = 0; i < k; i += ActivationBlocks.Q8Size, dst += ActivationBlocks.Q8Bytes)
            {
                int sum;
                *(float*)dst = Block<S, TF, TI>(x + i, ActivationBlocks.Q8Size, (sbyte*)dst + ActivationBlocks.Q8Codes, ActivationBlocks.Q8Size, &sum);
                *(float*)(dst + 4) = *(float*)dst * sum;
            }
            return;
        }
        var sums = stackalloc int[16];
        for (var i = 0; i < k; i += ActivationBlocks.Q8KSize, dst += ActivationBlocks.Q8KBytes)
        {
            *(float*)dst = Block<S, TF, TI>(x + i, ActivationBlocks.Q8KSize, (sbyte*)dst + ActivationBlocks.Q8KCodes, 16, sums);
            var bsums = (short*)(dst + ActivationBlocks.Q8KSums);
            for (var g = 0; g < 16; g++) bsums[g] = (short)sums[g];
        }
    }

    /// <summary>Quantizes <paramref name="count"/> values, writing the codes and each group's code sum; returns d.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Block<S, TF, TI>(float* x, int count, sbyte* codes, int groupSize, int* sums)
        where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var m = S.Zero;
        for (var i = 0; i < count; i += S.Count) m = S.Max(m, S.Abs(S.Load(x + i)));
        var d = S.MaxAcross(m) / 127;
        var id = S.Broadcast(d != 0 ? 1 / d : 0);
        for (var g = 0; g < count; g += groupSize)
        {
            var sum = 0;
            for (var i = g; i < g + groupSize; i += S.Count)
            {
                var q = S.RoundToInt(S.Multiply(S.Load(x + i), id));
                S.StoreSBytes(codes + i, q);
                sum += S.SumInt(q);
            }
            sums[g / groupSize] = sum;
        }
        return d;
    }
}
