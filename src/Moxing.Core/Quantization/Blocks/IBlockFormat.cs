using Moxing.Core.Kernels.Lanes;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>A ggml block-quantized format: how one block's bytes decode into <see cref="BlockSize"/> weights.</summary>
internal unsafe interface IBlockFormat
{
    /// <summary>Weights per block.</summary>
    static abstract int BlockSize { get; }

    /// <summary>Bytes per block.</summary>
    static abstract int BlockBytes { get; }

    /// <summary>Decodes the block at <paramref name="block"/>, handing every weight to <paramref name="sink"/> once.</summary>
    static abstract void Decode<S, TF, TI, TSink>(byte* block, ref TSink sink)
        where S : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct
        where TSink : struct, IWeightSink<TF>;
}

/// <summary>A one-value-per-element format (F32, F16, BF16).</summary>
internal unsafe interface IPlainFormat
{
    /// <summary>Bytes per element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>Loads <c>S.Count</c> consecutive elements as floats (exactly).</summary>
    static abstract TF Load<S, TF, TI>(byte* p)
        where S : struct, ILanes<TF, TI>
        where TF : struct
        where TI : struct;
}
