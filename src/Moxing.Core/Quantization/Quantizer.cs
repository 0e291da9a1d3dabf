using System.Runtime.CompilerServices;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Quantization.Encoders;
using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>
/// Encodes float32 values into stored types bit for bit as llama-quantize does (ggml's <c>quantize_*</c>: the reference
/// quantizers, or the importance-weighted searches when an importance matrix is given).
/// </summary>
public static unsafe class Quantizer
{
    /// <summary>True when <see cref="Quantize"/> can produce <paramref name="type"/>.</summary>
    public static bool CanQuantize(DType type) => type is DType.F32 or DType.F16 or DType.BF16 || RowEncoderFor(type) != null;

    /// <summary>Encodes <paramref name="src"/> into <paramref name="dst"/>, exactly <c>type.ByteCount(src.Length)</c> bytes, without importance.</summary>
    public static void Quantize(DType type, ReadOnlySpan<float> src, Span<byte> dst) =>
        QuantizeRows(type, src, dst, src.Length == 0 ? type.BlockSize() : src.Length, default, null);

    /// <summary>
    /// Encodes rows of <paramref name="rowLength"/> values. With <paramref name="importance"/> (one weight per column, as an
    /// imatrix holds them) the block types use ggml's weighted searches; rows are split over <paramref name="pool"/> when given.
    /// </summary>
    public static void QuantizeRows(DType type, ReadOnlySpan<float> src, Span<byte> dst, int rowLength, ReadOnlySpan<float> importance,
        WorkerPool? pool)
    {
        if (!CanQuantize(type))
            throw new MoxingException($"quantizing to {type} is not supported; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, MXFP4");
        if (rowLength <= 0 || src.Length % rowLength != 0)
            throw new ArgumentException($"{src.Length} values are not whole rows of {rowLength}", nameof(rowLength));
        if (rowLength % type.BlockSize() != 0)
            throw new ArgumentException($"rows of {rowLength} values are not whole {type} blocks of {type.BlockSize()}", nameof(rowLength));
        var bytes = type.ByteCount(src.Length);
        if (dst.Length != bytes)
            throw new ArgumentException($"{src.Length} values as {type} take {bytes} bytes, got {dst.Length}", nameof(dst));
        if (!importance.IsEmpty && importance.Length != rowLength)
            throw new ArgumentException($"the importance has {importance.Length} weights for rows of {rowLength}", nameof(importance));
        fixed (float* s = src)
        fixed (byte* d = dst)
        fixed (float* w = importance)
        {
            var job = new RowJob
            {
                Src = s,
                Dst = d,
                Importance = importance.IsEmpty ? null : w,
                RowLength = rowLength,
                RowBytes = type.ByteCount(rowLength),
                Type = type,
                Encode = RowEncoderFor(type),
            };
            var rows = src.Length / rowLength;
            if (pool != null) pool.ParallelFor(rows, ref job);
            else job.Execute(0, rows);
        }
    }

    private static delegate*<float*, byte*, int, float*, void> RowEncoderFor(DType type) => type switch
    {
        DType.Q8_0 => &EncodeRow<Q8_0Block>,
        DType.Q4_0 => &EncodeRow<Q4_0Block>,
        DType.Q4_1 => &EncodeRow<Q4_1Block>,
        DType.Q5_0 => &EncodeRow<Q5_0Block>,
        DType.Q5_1 => &EncodeRow<Q5_1Block>,
        DType.Q2_K => &EncodeRow<Q2KBlock>,
        DType.Q3_K => &EncodeRow<Q3KBlock>,
        DType.Q4_K => &EncodeRow<Q4KBlock>,
        DType.Q5_K => &EncodeRow<Q5KBlock>,
        DType.Q6_K => &EncodeRow<Q6KBlock>,
        DType.IQ4_NL => &EncodeRow<Iq4NlBlock>,
        DType.IQ4_XS => &EncodeRow<Iq4XsBlock>,
        DType.MXFP4 => &EncodeRow<Mxfp4Block>,
        _ => null,
    };

    private static void EncodeRow<F>(float* src, byte* dst, int count, float* importance) where F : struct, IBlockEncoder
    {
        if (importance == null)
        {
            for (var i = 0; i < count; i += F.BlockSize, src += F.BlockSize, dst += F.BlockBytes)
                F.Encode(src, dst);
            return;
        }
        var sigma2 = ScaleSearch.SumOfSquares(src, count) / count;
        for (var i = 0; i < count; i += F.BlockSize, src += F.BlockSize, dst += F.BlockBytes, importance += F.BlockSize)
            F.EncodeWeighted(src, dst, importance, sigma2);
    }

    private static void EncodePlain(DType type, float* src, byte* dst, int count)
    {
        switch (type)
        {
            case DType.F32:
                new ReadOnlySpan<float>(src, count).CopyTo(new Span<float>(dst, count));
                break;
            case DType.F16:
                for (var i = 0; i < count; i++) Fp16.Write(dst + 2 * i, src[i]);
                break;
            case DType.BF16:
                for (var i = 0; i < count; i++) Unsafe.WriteUnaligned(dst + 2 * i, BFloat16.FromFloat(src[i]));
                break;
        }
    }

    private struct RowJob : IParallelJob
    {
        public float* Src;
        public byte* Dst;
        public float* Importance;
        public int RowLength;
        public long RowBytes;
        public DType Type;
        public delegate*<float*, byte*, int, float*, void> Encode;

        public readonly void Execute(int start, int end)
        {
            for (var row = start; row < end; row++)
            {
                var src = Src + (long)row * RowLength;
                var dst = Dst + row * RowBytes;
                if (Encode != null) Encode(src, dst, RowLength, Importance);
                else EncodePlain(Type, src, dst, RowLength);
            }
        }
    }
}
