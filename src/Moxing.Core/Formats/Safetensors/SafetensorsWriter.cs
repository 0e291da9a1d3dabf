using System.Text.Encodings.Web;
using System.Text.Json;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Safetensors;

/// <summary>Writes a .safetensors file from named tensors and string metadata; tensors are stored back to back in the order added.</summary>
public sealed class SafetensorsWriter
{
    private readonly PendingTensors _tensors = new();
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    /// <summary>Sets a <c>__metadata__</c> entry.</summary>
    public SafetensorsWriter SetMetadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Adds a tensor from its raw little-endian bytes; the memory is read when the file is written.</summary>
    public SafetensorsWriter Add(string name, DType type, long[] shape, ReadOnlyMemory<byte> data)
    {
        SafetensorsDTypes.NameOf(type);
        _tensors.AddBytes(name, type, shape, data);
        return this;
    }

    /// <summary>Adds a float32 tensor; the memory is read when the file is written.</summary>
    public SafetensorsWriter Add(string name, long[] shape, ReadOnlyMemory<float> values)
    {
        _tensors.AddFloats(name, shape, values);
        return this;
    }

    /// <summary>Adds a copy of a tensor from another source (which must stay open until the file is written).</summary>
    public SafetensorsWriter Add(StoredTensor tensor)
    {
        SafetensorsDTypes.NameOf(tensor.Type);
        _tensors.AddStored(tensor);
        return this;
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
        var header = BuildHeader();
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        foreach (var t in _tensors.Items) t.WriteBytes(stream);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in _metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in _tensors.Items)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", SafetensorsDTypes.NameOf(t.Type));
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.ByteLength;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so tensor data starts 8-byte aligned, as the reference writer does.
        while ((buffer.Length + 8) % 8 != 0) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
