using System.Buffers.Binary;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>A float32 copy of a stored tensor (float, integer or quantized types).</summary>
    public static Tensor FromStored(StoredTensor stored)
    {
        var shape = new int[stored.Shape.Length];
        for (var i = 0; i < shape.Length; i++)
            shape[i] = stored.Shape[i] <= int.MaxValue ? (int)stored.Shape[i] : throw new MoxingException($"tensor {stored.Name} is too large to train on");
        var values = new float[Shapes.Count(shape)];
        var bytes = stored.Bytes;
        switch (stored.Type)
        {
            case DType.I64:
                for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..]);
                break;
            case DType.I32:
                for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
                break;
            case DType.F64:
                for (var i = 0; i < values.Length; i++) values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(i * 8)..]);
                break;
            case DType.U8 or DType.Bool or DType.I8:
                for (var i = 0; i < values.Length; i++) values[i] = stored.Type == DType.I8 ? (sbyte)bytes[i] : bytes[i];
                break;
            default:
                Dequantizer.Dequantize(stored.Type, bytes, values);
                break;
        }
        return new Tensor(values, shape);
    }

    /// <summary>The values of an integer tensor (I64 or I32) as ints, e.g. class targets or token ids.</summary>
    public static int[] IndicesFromStored(StoredTensor stored)
    {
        if (stored.Type is not (DType.I64 or DType.I32)) throw new MoxingException($"tensor {stored.Name} holds {stored.Type}, expected I64 or I32 indices");
        var values = new int[stored.ElementCount];
        var bytes = stored.Bytes;
        for (var i = 0; i < values.Length; i++)
            values[i] = stored.Type == DType.I64 ? checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes[(i * 8)..])) : BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
        return values;
    }
}
