using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Ops;

/// <summary>
/// Cached key/value rows stored as F32, F16 or Q8_0: encoded once when a position is stored, decoded a run of rows at a
/// time (vectorized) when attended; F32 rows are read in place.
/// </summary>
public static unsafe class AttentionRows
{
    /// <summary>True for the types a KV cache may be stored in: F32, F16 and Q8_0.</summary>
    public static bool Supports(DType type) => type is DType.F32 or DType.F16 or DType.Q8_0;

    /// <summary>Bytes of one row of <paramref name="headDim"/> values; throws when the type cannot hold such rows.</summary>
    public static int RowBytes(DType type, int headDim)
    {
        if (!Supports(type)) throw new MoxingException($"a KV cache cannot be stored as {type}; supported: F32, F16, Q8_0");
        if (headDim % type.BlockSize() != 0)
            throw new MoxingException($"a {type} KV cache needs a head dimension that is a multiple of {type.BlockSize()}, the model has {headDim}");
        return checked((int)type.ByteCount(headDim));
    }

    /// <summary>Encodes <paramref name="values"/> (whole rows) into <paramref name="rows"/>, exactly <c>type.ByteCount(values.Length)</c> bytes.</summary>
    public static void Encode(DType type, ReadOnlySpan<float> values, Span<byte> rows)
    {
        switch (type)
        {
            case DType.F32:
                values.CopyTo(MemoryMarshal.Cast<byte, float>(rows));
                break;
            case DType.F16:
                TensorPrimitives.ConvertToHalf(values, MemoryMarshal.Cast<byte, Half>(rows)[..values.Length]);
                break;
            default:
                Quantizer.Quantize(type, values, rows);
                break;
        }
    }

    /// <summary>
    /// The floats of <paramref name="rows"/>: a view of them for F32, otherwise decoded into the front of
    /// <paramref name="buffer"/> (which must hold every value).
    /// </summary>
    public static ReadOnlySpan<float> Decode(DType type, ReadOnlySpan<byte> rows, Span<float> buffer)
    {
        switch (type)
        {
            case DType.F32:
                return MemoryMarshal.Cast<byte, float>(rows);
            case DType.F16:
                {
                    var halves = MemoryMarshal.Cast<byte, Half>(rows);
                    var floats = buffer[..halves.Length];
                    if (!WidenFinite(halves, floats)) TensorPrimitives.ConvertToSingle(halves, floats);
                    return floats;
                }
            default:
                {
                    var floats = buffer[..checked((int)(rows.Length / type.BlockBytes() * type.BlockSize()))];
                    Dequantizer.Dequantize(type, rows, floats);
                    return floats;
                }
        }
    }

    // Halves to floats eight at a time with AVX2 (sign-extended, moved into a float's places, rebiased: exact, as
    // HalfBits); false, the floats unfinished, when there is no AVX2, the count is not a multiple of eight, or a half is an
    // infinity or a NaN (the caller converts those).
    private static bool WidenFinite(ReadOnlySpan<Half> halves, Span<float> floats)
    {
        if (!Avx2.IsSupported || halves.Length % Vector256<float>.Count != 0) return false;
        var magnitudes = Vector256<int>.Zero;
        fixed (Half* h = halves)
        fixed (float* f = floats)
            for (var i = 0; i < halves.Length; i += Vector256<float>.Count)
            {
                // the half's sign in bits 31..16, its bits in 15..0: what HalfBits.Place reads
                var wide = Avx2.ConvertToVector256Int32((short*)h + i);
                magnitudes = Avx2.Max(magnitudes, wide & Vector256.Create(HalfBits.Magnitude));
                (HalfBits.Place(wide) * HalfBits.Rebias).Store(f + i);
            }
        return Vector256.LessThanAll(magnitudes, Vector256.Create(HalfBits.InfinityBits));
    }
}
