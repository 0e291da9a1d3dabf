namespace Moxing.Core.Tensors;

/// <summary>A tensor as stored in a model file: name, element type, shape (outermost first, as PyTorch) and its bytes.</summary>
/// <remarks>The bytes live in a memory-mapped file owned by the <see cref="ITensorSource"/>; they stay valid until it is disposed.</remarks>
public sealed unsafe class StoredTensor(string name, DType type, long[] shape, byte* data, long byteLength)
{
    /// <summary>The tensor's name in its file.</summary>
    public string Name { get; } = name;

    /// <summary>The stored element type.</summary>
    public DType Type { get; } = type;

    /// <summary>Dimensions, outermost first (a [rows, cols] matrix has rows = Shape[0]).</summary>
    public long[] Shape { get; } = shape;

    /// <summary>Pointer to the first byte of the tensor's data.</summary>
    public byte* Data { get; } = data;

    /// <summary>Number of bytes of the tensor's data.</summary>
    public long ByteLength { get; } = byteLength;

    /// <summary>Total number of elements.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>Size of the innermost dimension (elements per row).</summary>
    public long RowLength => Shape.Length == 0 ? 1 : Shape[^1];

    /// <summary>Number of rows (all elements divided by the row length).</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    /// <summary>Bytes of one row.</summary>
    public long RowBytes => Type.ByteCount(RowLength);

    /// <summary>The bytes of the whole tensor (must be under 2 GiB; use <see cref="Row"/> for larger tensors).</summary>
    public ReadOnlySpan<byte> Bytes => new(Data, checked((int)ByteLength));

    /// <summary>The bytes of row <paramref name="i"/>.</summary>
    public ReadOnlySpan<byte> Row(long i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, RowCount);
        var rowBytes = RowBytes;
        return new(Data + i * rowBytes, checked((int)rowBytes));
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} {Type} [{string.Join(", ", Shape)}]";
}

/// <summary>A set of named tensors backed by one or more memory-mapped files (safetensors, sharded safetensors, GGUF).</summary>
public interface ITensorSource : IDisposable
{
    /// <summary>Every tensor, in file order.</summary>
    IReadOnlyList<StoredTensor> Tensors { get; }

    /// <summary>The tensor called <paramref name="name"/>, or null when there is none.</summary>
    StoredTensor? Find(string name);
}
