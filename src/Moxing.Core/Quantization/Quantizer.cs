using System.Runtime.CompilerServices;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization;

/// <summary>Encodes float32 values into stored types, bit for bit as ggml's reference quantizers (and gguf-py).</summary>
public static unsafe class Quantizer
{
    /// <summary>True when <see cref="Quantize"/> can produce <paramref name="type"/>.</summary>
    public static bool CanQuantize(DType type) => type is DType.F32 or DType.F16 or DType.BF16 or DType.Q8_0;

    /// <summary>Encodes <paramref name="src"/> into <paramref name="dst"/>, exactly <c>type.ByteCount(src.Length)</c> bytes.</summary>
    public static void Quantize(DType type, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (!CanQuantize(type))
            throw new MoxingException($"quantizing to {type} is not supported; supported: F32, F16, BF16, Q8_0");
        var bytes = type.ByteCount(src.Length);
        if (dst.Length != bytes)
            throw new ArgumentException($"{src.Length} values as {type} take {bytes} bytes, got {dst.Length}", nameof(dst));
        fixed (float* s = src)
        fixed (byte* d = dst)
        {
            switch (type)
            {
                case DType.F32:
                    src.CopyTo(new Span<float>(d, src.Length));
                    break;
                case DType.F16:
                    for (var i = 0; i < src.Length; i++) Fp16.Write(d + 2 * i, s[i]);
                    break;
                case DType.BF16:
                    for (var i = 0; i < src.Length; i++) Unsafe.WriteUnaligned(d + 2 * i, BFloat16.FromFloat(s[i]));
                    break;
                case DType.Q8_0:
                    EncodeBlocks<Q8_0Block>(s, d, src.Length);
                    break;
            }
        }
    }

    private static void EncodeBlocks<F>(float* src, byte* dst, int count) where F : struct, IBlockEncoder
    {
        for (var i = 0; i < count; i += F.BlockSize, src += F.BlockSize, dst += F.BlockBytes)
            F.Encode(src, dst);
    }
}
