using System.Text;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Gguf;

/// <summary>Writes GGUF version 3 files: metadata of every GGUF type and tensors (already encoded in their <see cref="DType"/>), aligned.</summary>
public sealed class GgufWriter
{
    private readonly Dictionary<string, object> _metadata = new(StringComparer.Ordinal);
    private readonly PendingTensors _tensors = new();

    /// <summary>Sets a metadata value: a .NET primitive (byte … double, bool, string), a typed array, or object[] of such arrays.</summary>
    public GgufWriter Set(string key, object value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        CheckValue(key, value, 0);
        if (key == GgufFile.AlignmentKey && (value is not uint a || a == 0 || (a & (a - 1)) != 0))
            throw new ArgumentException($"{GgufFile.AlignmentKey} must be a uint32 power of two", nameof(value));
        _metadata[key] = value;
        return this;
    }

    /// <summary>Removes a metadata value (nothing when absent).</summary>
    public GgufWriter Remove(string key)
    {
        _metadata.Remove(key);
        return this;
    }

    /// <summary>Adds a tensor from bytes already in <paramref name="type"/>'s encoding; <paramref name="shape"/> is outermost first.</summary>
    public GgufWriter AddTensor(string name, DType type, long[] shape, ReadOnlyMemory<byte> data)
    {
        CheckGgufType(type);
        _tensors.AddBytes(name, type, shape, data);
        return this;
    }

    /// <summary>Adds a copy of a tensor from another source (which must stay open until the file is written).</summary>
    public GgufWriter AddTensor(StoredTensor tensor)
    {
        CheckGgufType(tensor.Type);
        _tensors.AddStored(tensor);
        return this;
    }

    /// <summary>Adds a tensor whose bytes <paramref name="writeBytes"/> produces when the file is written (exactly
    /// <c>type.ByteCount</c> of the shape), so a file larger than memory can be written tensor by tensor.</summary>
    public GgufWriter AddTensor(string name, DType type, long[] shape, Action<Stream> writeBytes)
    {
        CheckGgufType(type);
        long elements = 1;
        foreach (var d in shape) elements = checked(elements * Math.Max(d, 0));
        _tensors.AddDeferred(name, type, shape, type.ByteCount(elements), writeBytes);
        return this;
    }

    /// <summary>Adds float32 values stored as F32; the memory is read when the file is written.</summary>
    public GgufWriter AddF32(string name, long[] shape, ReadOnlyMemory<float> values)
    {
        _tensors.AddFloats(name, shape, values);
        return this;
    }

    /// <summary>Adds float32 values converted to F16 (round to nearest even).</summary>
    public GgufWriter AddF16(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        return AddTensor(name, DType.F16, shape, bytes);
    }

    /// <summary>Writes the file to <paramref name="path"/> (replacing it).</summary>
    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Write(stream);
    }

    /// <summary>Writes the file to <paramref name="stream"/>.</summary>
    public void Write(Stream stream)
    {
        var alignment = _metadata.TryGetValue(GgufFile.AlignmentKey, out var a) ? (long)(uint)a : GgufFile.DefaultAlignment;
        // The header goes through memory first so its padded length is known and the stream need not seek.
        using var header = new MemoryStream();
        using var w = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true);
        w.Write(GgufFile.Magic);
        w.Write(3u);
        w.Write((ulong)_tensors.Items.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            WriteTyped(w, value);
        }

        long offset = 0;
        foreach (var t in _tensors.Items)
        {
            WriteString(w, t.Name);
            w.Write((uint)t.Shape.Length);
            for (var j = t.Shape.Length - 1; j >= 0; j--) w.Write((ulong)t.Shape[j]);
            w.Write((uint)t.Type);
            w.Write((ulong)offset);
            offset = GgufFile.Align(offset + t.ByteLength, alignment);
        }
        w.Flush();
        Pad(header, GgufFile.Align(header.Length, alignment) - header.Length);
        header.Position = 0;
        header.CopyTo(stream);
        foreach (var t in _tensors.Items)
        {
            t.WriteBytes(stream);
            Pad(stream, GgufFile.Align(t.ByteLength, alignment) - t.ByteLength);
        }
    }

    private static void Pad(Stream stream, long count)
    {
        for (var i = 0; i < count; i++) stream.WriteByte(0);
    }

    private static void CheckGgufType(DType type)
    {
        if (type is DType.U8 or DType.Bool) throw new ArgumentException($"GGUF has no tensor type {type}", nameof(type));
    }

    private static void CheckValue(string key, object value, int depth)
    {
        ArgumentNullException.ThrowIfNull(value, key);
        if (depth > GgufMetadataReader.MaxArrayDepth)
            throw new ArgumentException($"metadata '{key}': arrays nested more than {GgufMetadataReader.MaxArrayDepth} deep", nameof(value));
        if (GgufValueTypes.ScalarTypeOf(value) is not null) return;
        if (value is Array array && GgufValueTypes.ElementTypeOf(array) is { } element)
        {
            if (element == GgufValueType.String && Array.IndexOf((string[])array, null) >= 0)
                throw new ArgumentException($"metadata '{key}': the string array holds null", nameof(value));
            if (element == GgufValueType.Array)
                foreach (var item in (object[])array) CheckNested(key, item, depth);
            return;
        }
        throw new ArgumentException($"metadata '{key}': {value.GetType().Name} is not a GGUF value type", nameof(value));
    }

    private static void CheckNested(string key, object? item, int depth)
    {
        if (item is not Array) throw new ArgumentException($"metadata '{key}': an array of arrays holds a {item?.GetType().Name ?? "null"}", nameof(item));
        CheckValue(key, item, depth + 1);
    }

    private static void WriteTyped(BinaryWriter w, object value)
    {
        if (GgufValueTypes.ScalarTypeOf(value) is { } scalar)
        {
            w.Write((uint)scalar);
            WriteScalar(w, value);
            return;
        }
        w.Write((uint)GgufValueType.Array);
        WriteArray(w, (Array)value);
    }

    private static void WriteArray(BinaryWriter w, Array array)
    {
        var elementType = GgufValueTypes.ElementTypeOf(array)!.Value;
        w.Write((uint)elementType);
        w.Write((ulong)array.Length);
        if (elementType == GgufValueType.String)
        {
            foreach (var item in (string[])array) WriteString(w, item);
            return;
        }
        if (elementType == GgufValueType.Array)
        {
            foreach (var item in (object[])array) WriteArray(w, (Array)item);
            return;
        }
        // Primitive arrays (numbers and bools as 0/1 bytes) are already their little-endian file bytes.
        var bytes = new byte[Buffer.ByteLength(array)];
        Buffer.BlockCopy(array, 0, bytes, 0, bytes.Length);
        w.Write(bytes);
    }

    private static void WriteScalar(BinaryWriter w, object value)
    {
        switch (value)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write(v ? (byte)1 : (byte)0); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            default: throw new ArgumentException($"{value.GetType().Name} is not a GGUF value type", nameof(value));
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
