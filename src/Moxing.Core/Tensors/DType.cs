namespace Moxing.Core.Tensors;

/// <summary>Element types of stored tensors; values are ggml's type ids so GGUF files map one to one.</summary>
#pragma warning disable CS1591 // the members are ggml's own type names
public enum DType
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
    /// <summary>Unsigned bytes (safetensors U8); not a ggml type.</summary>
    U8 = 1000,
    /// <summary>Booleans stored as one byte (safetensors BOOL); not a ggml type.</summary>
    Bool = 1001,
}
#pragma warning restore CS1591

/// <summary>Block layout of each <see cref="DType"/>: elements per block and bytes per block.</summary>
public static class DTypeLayout
{
    /// <summary>Elements per block (1 for plain types, 32 or 256 for quantized blocks).</summary>
    public static int BlockSize(this DType t) => t switch
    {
        DType.Q4_0 or DType.Q4_1 or DType.Q5_0 or DType.Q5_1 or DType.Q8_0 or DType.Q8_1 or DType.IQ4_NL or DType.MXFP4 => 32,
        DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K or DType.Q8_K or DType.IQ4_XS => 256,
        DType.IQ2_XXS or DType.IQ2_XS or DType.IQ2_S or DType.IQ3_XXS or DType.IQ3_S or DType.IQ1_S or DType.IQ1_M => 256,
        DType.TQ1_0 or DType.TQ2_0 => 256,
        _ when t.IsPlain() => 1,
        _ => throw new NotSupportedException($"tensor type {t} is not supported"),
    };

    /// <summary>Bytes per block.</summary>
    public static int BlockBytes(this DType t) => t switch
    {
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        DType.I8 or DType.U8 or DType.Bool => 1,
        DType.I64 or DType.F64 => 8,
        DType.Q4_0 => 18,
        DType.Q4_1 => 20,
        DType.Q5_0 => 22,
        DType.Q5_1 => 24,
        DType.Q8_0 => 34,
        DType.Q8_1 => 36,
        DType.Q2_K => 84,
        DType.Q3_K => 110,
        DType.Q4_K => 144,
        DType.Q5_K => 176,
        DType.Q6_K => 210,
        DType.Q8_K => 292,
        DType.IQ4_NL => 18,
        DType.IQ4_XS => 136,
        DType.IQ2_XXS => 66,
        DType.IQ2_XS => 74,
        DType.IQ2_S => 82,
        DType.IQ3_XXS => 98,
        DType.IQ3_S => 110,
        DType.IQ1_S => 50,
        DType.IQ1_M => 56,
        DType.TQ1_0 => 54,
        DType.TQ2_0 => 66,
        DType.MXFP4 => 17,
        _ => throw new NotSupportedException($"tensor type {t} is not supported"),
    };

    /// <summary>True for one-element-per-value types (floats, integers, bool).</summary>
    public static bool IsPlain(this DType t) => t is DType.F32 or DType.F16 or DType.BF16 or DType.F64
        or DType.I8 or DType.I16 or DType.I32 or DType.I64 or DType.U8 or DType.Bool;

    /// <summary>True when this build can read tensors of the type.</summary>
    public static bool IsSupported(this DType t) => t.IsPlain() || t is DType.Q4_0 or DType.Q4_1 or DType.Q5_0
        or DType.Q5_1 or DType.Q8_0 or DType.Q2_K or DType.Q3_K or DType.Q4_K or DType.Q5_K or DType.Q6_K
        or DType.IQ4_NL or DType.IQ4_XS or DType.MXFP4 or DType.IQ2_XXS or DType.IQ2_XS or DType.IQ2_S or DType.IQ3_XXS
        or DType.IQ3_S or DType.IQ1_S or DType.IQ1_M or DType.TQ1_0 or DType.TQ2_0;

    /// <summary>Bytes taken by <paramref name="elements"/> values; the count must be a whole number of blocks.</summary>
    public static long ByteCount(this DType t, long elements)
    {
        var block = t.BlockSize();
        if (elements % block != 0)
            throw new ArgumentException($"{elements} elements is not a whole number of {t} blocks of {block}");
        return checked(elements / block * t.BlockBytes());
    }
}
