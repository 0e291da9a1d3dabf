using System.Text;
using Moxing.Core.Formats.Gguf;

namespace Moxing.Core.Tests.Formats;

/// <summary>Builds GGUF files byte by byte, so tests can write exactly the defect they check.</summary>
internal sealed class GgufBytes
{
    private readonly MemoryStream _stream = new();
    private readonly BinaryWriter _w;

    public GgufBytes() => _w = new BinaryWriter(_stream);

    public static GgufBytes Header(ulong tensors, ulong kvs, uint version = 3) =>
        new GgufBytes().U32(GgufFile.Magic).U32(version).U64(tensors).U64(kvs);

    public GgufBytes U8(byte v) { _w.Write(v); return this; }
    public GgufBytes U32(uint v) { _w.Write(v); return this; }
    public GgufBytes U64(ulong v) { _w.Write(v); return this; }
    public GgufBytes Bytes(params byte[] v) { _w.Write(v); return this; }
    public GgufBytes Str(string s) => U64((ulong)Encoding.UTF8.GetByteCount(s)).Bytes(Encoding.UTF8.GetBytes(s));

    public GgufBytes KvU32(string key, uint value) => Str(key).U32((uint)GgufValueType.UInt32).U32(value);
    public GgufBytes KvString(string key, string value) => Str(key).U32((uint)GgufValueType.String).Str(value);

    /// <summary>A tensor info; <paramref name="ne"/> is in GGUF order (innermost first).</summary>
    public GgufBytes Tensor(string name, ulong[] ne, uint type, ulong offset)
    {
        Str(name).U32((uint)ne.Length);
        foreach (var d in ne) U64(d);
        return U32(type).U64(offset);
    }

    public GgufBytes PadTo(int alignment)
    {
        while (_stream.Length % alignment != 0) _w.Write((byte)0);
        return this;
    }

    public GgufBytes Zeros(int count) => Bytes(new byte[count]);

    public byte[] ToArray()
    {
        _w.Flush();
        return _stream.ToArray();
    }
}
