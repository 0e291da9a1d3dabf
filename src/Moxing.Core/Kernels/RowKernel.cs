using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

/// <summary>The compiled dot and dequantize loops of one element type on one instruction set.</summary>
/// <remarks>Both take a count of units: blocks for block formats, elements for plain ones.</remarks>
internal readonly unsafe struct RowKernel(
    delegate*<byte*, float*, int, float> dot, delegate*<byte*, float*, int, void> dequantize, int unitSize, int unitBytes)
{
    /// <summary>Four dot products of one decoded row with four vectors (w, x, stride between vectors, count, y, y stride, first).</summary>
    public static delegate*<float*, float*, nint, int, float*, nint, bool, void> DotFloats4(SimdPath path) => path switch
    {
        SimdPath.Avx512 => &FormatKernels.DotFloats4<Avx512Lanes, Vector512<float>, Vector512<int>>,
        SimdPath.Avx2 => &FormatKernels.DotFloats4<Avx2Lanes, Vector256<float>, Vector256<int>>,
        SimdPath.Vector128 => &FormatKernels.DotFloats4<Vector128Lanes, Vector128<float>, Vector128<int>>,
        _ => &FormatKernels.DotFloats4<ScalarLanes, float, int>,
    };

    /// <summary>Sixteen dot products of four decoded rows with four vectors (w, w stride, x, x stride, count, y, y stride, first).</summary>
    public static delegate*<float*, nint, float*, nint, int, float*, nint, bool, void> DotFloats4x4(SimdPath path) => path switch
    {
        SimdPath.Avx512 => &FormatKernels.DotFloats4x4<Avx512Lanes, Vector512<float>, Vector512<int>>,
        SimdPath.Avx2 => &FormatKernels.DotFloats4x4InPairs<Avx2Lanes, Vector256<float>, Vector256<int>>,
        SimdPath.Vector128 => &FormatKernels.DotFloats4x4InPairs<Vector128Lanes, Vector128<float>, Vector128<int>>,
        _ => &FormatKernels.DotFloats4x4<ScalarLanes, float, int>,
    };

    /// <summary>Dot product of a stored row with float activations.</summary>
    public readonly delegate*<byte*, float*, int, float> Dot = dot;

    /// <summary>Decodes stored values to floats.</summary>
    public readonly delegate*<byte*, float*, int, void> Dequantize = dequantize;

    /// <summary>Elements per unit.</summary>
    public readonly int UnitSize = unitSize;

    /// <summary>Bytes per unit.</summary>
    public readonly int UnitBytes = unitBytes;

    /// <summary>The kernel for <paramref name="type"/> on <paramref name="path"/>.</summary>
    public static RowKernel For(DType type, SimdPath path)
    {
        if (!SimdPaths.IsSupported(path))
            throw new PlatformNotSupportedException($"{path} kernels are not supported by this processor");
        var table = SimdPaths.Pick(path, ScalarTable, Vector128Table, Avx2Table, Avx512Table);
        var index = (int)type;
        if ((uint)index >= (uint)table.Length || table[index].Dot == null)
            throw new MoxingException($"tensor type {type} has no float kernels; supported: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K, IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ4_NL, IQ4_XS, TQ1_0, TQ2_0, MXFP4");
        return table[index];
    }

    // The decoders read fp16 scales through Fp16's table and IQ levels through IqGrids': initialising them first lets the
    // JIT compile the kernels (on their first call, after this) with the tables' addresses as constants and no checks.
    static RowKernel()
    {
        RuntimeHelpers.RunClassConstructor(typeof(Fp16).TypeHandle);
        RuntimeHelpers.RunClassConstructor(typeof(IqGrids).TypeHandle);
    }

    private static readonly RowKernel[] ScalarTable = Table<ScalarLanes, float, int>();
    private static readonly RowKernel[] Vector128Table = Table<Vector128Lanes, Vector128<float>, Vector128<int>>();
    private static readonly RowKernel[] Avx2Table = Table<Avx2Lanes, Vector256<float>, Vector256<int>>();
    private static readonly RowKernel[] Avx512Table = Table<Avx512Lanes, Vector512<float>, Vector512<int>>();

    private static RowKernel[] Table<S, TF, TI>() where S : struct, ILanes<TF, TI> where TF : struct where TI : struct
    {
        var table = new RowKernel[(int)DType.MXFP4 + 1];
        table[(int)DType.F32] = Plain<F32Format, S, TF, TI>();
        table[(int)DType.F16] = Plain<F16Format, S, TF, TI>();
        table[(int)DType.BF16] = Plain<BF16Format, S, TF, TI>();
        table[(int)DType.Q4_0] = Blocks<Q4_0Block, S, TF, TI>();
        table[(int)DType.Q4_1] = Blocks<Q4_1Block, S, TF, TI>();
        table[(int)DType.Q5_0] = Blocks<Q5_0Block, S, TF, TI>();
        table[(int)DType.Q5_1] = Blocks<Q5_1Block, S, TF, TI>();
        table[(int)DType.Q8_0] = Blocks<Q8_0Block, S, TF, TI>();
        table[(int)DType.Q2_K] = Blocks<Q2KBlock, S, TF, TI>();
        table[(int)DType.Q3_K] = Blocks<Q3KBlock, S, TF, TI>();
        table[(int)DType.Q4_K] = Blocks<Q4KBlock, S, TF, TI>();
        table[(int)DType.Q5_K] = Blocks<Q5KBlock, S, TF, TI>();
        table[(int)DType.Q6_K] = Blocks<Q6KBlock, S, TF, TI>();
        table[(int)DType.IQ4_NL] = Blocks<Iq4NlBlock, S, TF, TI>();
        table[(int)DType.IQ4_XS] = Blocks<Iq4XsBlock, S, TF, TI>();
        table[(int)DType.MXFP4] = Blocks<Mxfp4Block, S, TF, TI>();
        table[(int)DType.IQ2_XXS] = Blocks<Iq2XxsBlock, S, TF, TI>();
        table[(int)DType.IQ2_XS] = Blocks<Iq2XsBlock, S, TF, TI>();
        table[(int)DType.IQ2_S] = Blocks<Iq2SBlock, S, TF, TI>();
        table[(int)DType.IQ3_XXS] = Blocks<Iq3XxsBlock, S, TF, TI>();
        table[(int)DType.IQ3_S] = Blocks<Iq3SBlock, S, TF, TI>();
        table[(int)DType.IQ1_S] = Blocks<Iq1SBlock, S, TF, TI>();
        table[(int)DType.IQ1_M] = Blocks<Iq1MBlock, S, TF, TI>();
        table[(int)DType.TQ1_0] = Blocks<Tq1_0Block, S, TF, TI>();
        table[(int)DType.TQ2_0] = Blocks<Tq2_0Block, S, TF, TI>();
        return table;
    }

    private static RowKernel Blocks<F, S, TF, TI>()
        where F : struct, IBlockFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct =>
        new(&FormatKernels.DotBlocks<F, S, TF, TI>, &FormatKernels.DequantizeBlocks<F, S, TF, TI>, F.BlockSize, F.BlockBytes);

    private static RowKernel Plain<P, S, TF, TI>()
        where P : struct, IPlainFormat where S : struct, ILanes<TF, TI> where TF : struct where TI : struct =>
        new(&FormatKernels.DotPlain<P, S, TF, TI>, &FormatKernels.DequantizePlain<P, S, TF, TI>, 1, P.ElementBytes);

    /// <summary>Units in <paramref name="elements"/> elements, checking that <paramref name="bytes"/> holds exactly them.</summary>
    public int Units(int elements, int bytes, DType type)
    {
        if (elements % UnitSize != 0)
            throw new ArgumentException($"{elements} elements is not a whole number of {type} blocks of {UnitSize}");
        var units = elements / UnitSize;
        if ((long)units * UnitBytes != bytes)
            throw new ArgumentException($"{elements} {type} elements take {(long)units * UnitBytes} bytes, got {bytes}");
        return units;
    }
}
