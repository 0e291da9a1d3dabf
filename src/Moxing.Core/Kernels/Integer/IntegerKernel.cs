using System.Runtime.Intrinsics;
using Moxing.Core.Kernels.Lanes;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels.Integer;

/// <summary>The compiled integer product of one weight type on one instruction set, and the activation blocks it reads.</summary>
internal readonly unsafe struct IntegerKernel(
    delegate*<byte*, nint, int, byte*, nint, int, float*, int, int, int, void> rows, int blockSize, int activationBlockSize, int panelTokens)
{
    /// <summary>y[t, r] for n activation rows and weight rows [rowStart, rowEnd): (w, rowBytes, blocks per row, x, x row bytes, n, y, rows, rowStart, rowEnd).</summary>
    public readonly delegate*<byte*, nint, int, byte*, nint, int, float*, int, int, int, void> Rows = rows;

    /// <summary>Weights per block of the weight type.</summary>
    public readonly int BlockSize = blockSize;

    /// <summary>Activation block size it reads: <see cref="ActivationBlocks.Q8Size"/> or <see cref="ActivationBlocks.Q8KSize"/>.</summary>
    public readonly int ActivationBlockSize = activationBlockSize;

    /// <summary>Activation rows from which products go through <see cref="Panel"/>s (row ranges should then start at multiples
    /// of <see cref="Panel.Rows"/>); 0 when they never do.</summary>
    public readonly int PanelTokens = panelTokens;

    /// <summary>True when products of <see cref="PanelTokens"/> or more activation rows go through <see cref="Panel"/>s.</summary>
    public bool Panels => PanelTokens > 0;

    /// <summary>The integer kernel for <paramref name="type"/> on <paramref name="path"/>, if the type has one.</summary>
    public static bool TryFor(DType type, SimdPath path, out IntegerKernel kernel)
    {
        var table = SimdPaths.Pick(path, ScalarTable, Vector128Table, Avx2Table, Avx512Table);
        var index = (int)type;
        kernel = (uint)index < (uint)table.Length ? table[index] : default;
        return kernel.Rows != null;
    }

    // The scalar path multiplies through panels too: it is the reference the vector panel tiles equal bit for bit.
    private static readonly IntegerKernel[] ScalarTable = Table<ScalarPanelTile, ScalarByteLanes, Bytes32, int, float>(SimdPath.Scalar, panels: true);
    private static readonly IntegerKernel[] Vector128Table = Table<ScalarPanelTile, Vector128ByteLanes, BytePair, Vector128<int>, Vector128<float>>(SimdPath.Vector128, panels: false);
    private static readonly IntegerKernel[] Avx2Table = Table<PanelTile<Avx2PanelDot>, Avx2ByteLanes, Vector256<byte>, Vector256<int>, Vector256<float>>(SimdPath.Avx2, panels: true);

    // .NET exposes no 512-bit VNNI: the AVX-512 path runs 256-bit vpdpbusd (and VNNI panels) where the processor has AVX-VNNI,
    // else pmaddubsw panels (AVX-512 processors without AVX-VNNI, such as AMD Zen 4)
    private static readonly IntegerKernel[] Avx512Table = AvxVnniByteLanes.IsSupported
        ? Table<PanelTile<VnniPanelDot>, AvxVnniByteLanes, Vector256<byte>, Vector256<int>, Vector256<float>>(SimdPath.Avx512, panels: true)
        : Table<PanelTile<Avx2PanelDot>, Avx2ByteLanes, Vector256<byte>, Vector256<int>, Vector256<float>>(SimdPath.Avx512, panels: true);

    private static IntegerKernel[] Table<P, L, TB, TS, TF>(SimdPath path, bool panels)
        where P : struct, IPanelTile where L : struct, IByteLanes<TB, TS, TF> where TB : unmanaged where TS : struct where TF : struct
    {
        var table = new IntegerKernel[(int)DType.MXFP4 + 1];
        if (!SimdPaths.IsSupported(path) || !L.IsSupported) return table;
        table[(int)DType.Q4_0] = Small<Q4_0Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q4_1] = Small<Q4_1Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q5_0] = Small<Q5_0Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q5_1] = Small<Q5_1Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q8_0] = Small<Q8_0Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ4_NL] = Small<Iq4NlBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.MXFP4] = Small<Mxfp4Block, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q2_K] = Super<Q2KBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q3_K] = Super<Q3KBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q4_K] = Super<Q4KBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q5_K] = Super<Q5KBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.Q6_K] = Super<Q6KBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ4_XS] = Super<Iq4XsBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ2_XXS] = Grid<Iq2XxsBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ2_XS] = Grid<Iq2XsBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ2_S] = Grid<Iq2SBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ3_XXS] = Grid<Iq3XxsBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ3_S] = Grid<Iq3SBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ1_S] = Grid<Iq1SBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.IQ1_M] = Grid<Iq1MBlock, P, L, TB, TS, TF>(panels);
        table[(int)DType.TQ2_0] = Super<Tq2_0Block, P, L, TB, TS, TF>(panels);
        return table;
    }

    private static IntegerKernel Small<F, P, L, TB, TS, TF>(bool panels)
        where F : struct, IQ8Dot where P : struct, IPanelTile where L : struct, IByteLanes<TB, TS, TF>
        where TB : unmanaged where TS : struct where TF : struct =>
        new(panels ? &PanelProduct<P, L, TB, TS, TF>.RowsSmall<F> : &IntegerKernels.RowsQ8<F, L, TB, TS, TF>, F.BlockSize, ActivationBlocks.Q8Size,
            panels ? Panel.SmallTokens : 0);

    private static IntegerKernel Super<F, P, L, TB, TS, TF>(bool panels)
        where F : struct, IQ8KDot where P : struct, IPanelTile where L : struct, IByteLanes<TB, TS, TF>
        where TB : unmanaged where TS : struct where TF : struct =>
        Super<F>(panels ? &PanelProduct<P, L, TB, TS, TF>.RowsSuper<F> : &IntegerKernels.RowsQ8K<F, L, TB, TS, TF>, panels);

    private static IntegerKernel Grid<F, P, L, TB, TS, TF>(bool panels)
        where F : struct, IGridBlock<F> where P : struct, IPanelTile where L : struct, IByteLanes<TB, TS, TF>
        where TB : unmanaged where TS : struct where TF : struct =>
        Super<F>(panels ? &PanelProduct<P, L, TB, TS, TF>.RowsGrid<F> : &GridKernels.Rows<F, L, TB, TS, TF>, panels);

    private static IntegerKernel Super<F>(delegate*<byte*, nint, int, byte*, nint, int, float*, int, int, int, void> rows, bool panels)
        where F : struct, IQ8KDot => new(rows, F.BlockSize, ActivationBlocks.Q8KSize, panels ? Panel.SuperTokens : 0);
}
