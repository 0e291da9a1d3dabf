using System.Runtime.InteropServices;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats;

/// <summary>A tensor queued for a file writer: name, type, shape (outermost first), and how to write its bytes.</summary>
internal sealed record PendingTensor(string Name, DType Type, long[] Shape, long ByteLength, Action<Stream> WriteBytes);

/// <summary>The tensors a writer will store, checked as they are added (unique names, bytes matching type and shape).</summary>
internal sealed class PendingTensors
{
    private readonly List<PendingTensor> _list = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public IReadOnlyList<PendingTensor> Items => _list;

    public void AddBytes(string name, DType type, long[] shape, ReadOnlyMemory<byte> data) =>
        Add(name, type, shape, data.Length, s => s.Write(data.Span));

    public void AddDeferred(string name, DType type, long[] shape, long byteLength, Action<Stream> write) =>
        Add(name, type, shape, byteLength, write);

    public void AddFloats(string name, long[] shape, ReadOnlyMemory<float> values) =>
        Add(name, DType.F32, shape, (long)values.Length * sizeof(float), s => s.Write(MemoryMarshal.AsBytes(values.Span)));

    public unsafe void AddStored(StoredTensor tensor)
    {
        var data = tensor.Data;
        var length = tensor.ByteLength;
        Add(tensor.Name, tensor.Type, (long[])tensor.Shape.Clone(), length, s =>
        {
            // Spans are limited to 2 GiB, so large tensors go out in chunks.
            for (long done = 0; done < length;)
            {
                var chunk = (int)Math.Min(1 << 30, length - done);
                s.Write(new ReadOnlySpan<byte>(data + done, chunk));
                done += chunk;
            }
        });
    }

    private void Add(string name, DType type, long[] shape, long byteLength, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!type.IsSupported()) throw new ArgumentException($"tensor '{name}': type {type} is not supported", nameof(type));
        long elements = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': negative dimension in [{string.Join(", ", shape)}]", nameof(shape));
            elements = checked(elements * d);
        }
        var rowLength = shape.Length == 0 ? 1 : shape[^1];
        if (rowLength % type.BlockSize() != 0)
            throw new ArgumentException($"tensor '{name}': row length {rowLength} is not a multiple of the {type} block size {type.BlockSize()}", nameof(shape));
        var expected = type.ByteCount(elements);
        if (byteLength != expected)
            throw new ArgumentException($"tensor '{name}': {byteLength} bytes given but {type} [{string.Join(", ", shape)}] takes {expected}", nameof(shape));
        if (!_names.Add(name)) throw new ArgumentException($"tensor '{name}' was added twice", nameof(name));
        _list.Add(new PendingTensor(name, type, shape, byteLength, write));
    }
}
