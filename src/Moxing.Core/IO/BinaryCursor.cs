using System.Buffers.Binary;
using System.Text;

namespace Moxing.Core.IO;

/// <summary>Reads little-endian values from a mapped file, turning every read past the end into an <see cref="InvalidModelFileException"/>.</summary>
internal sealed unsafe class BinaryCursor(MappedFile file)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The file being read.</summary>
    public MappedFile File { get; } = file;

    /// <summary>Offset of the next byte to read.</summary>
    public long Position { get; set; }

    /// <summary>Bytes left after <see cref="Position"/>.</summary>
    public long Remaining => File.Length - Position;

    /// <summary>What is being read, for error messages ("metadata key 'x'").</summary>
    public string Context { get; set; } = "the header";

    /// <summary>An error about the file, naming it, the current context and offset.</summary>
    public InvalidModelFileException Error(string problem) =>
        new(File.FilePath, $"{problem} (in {Context}, at byte {Position})");

    private byte* Take(int count)
    {
        if (Remaining < count)
            throw Error($"the file ends after {File.Length} bytes but {count} more bytes are needed");
        var p = File.Pointer + Position;
        Position += count;
        return p;
    }

    public byte ReadU8() => *Take(1);
    public sbyte ReadI8() => (sbyte)*Take(1);
    public ushort ReadU16() => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(Take(2), 2));
    public short ReadI16() => BinaryPrimitives.ReadInt16LittleEndian(new ReadOnlySpan<byte>(Take(2), 2));
    public uint ReadU32() => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(Take(4), 4));
    public int ReadI32() => BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(Take(4), 4));
    public ulong ReadU64() => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(Take(8), 8));
    public long ReadI64() => BinaryPrimitives.ReadInt64LittleEndian(new ReadOnlySpan<byte>(Take(8), 8));
    public float ReadF32() => BinaryPrimitives.ReadSingleLittleEndian(new ReadOnlySpan<byte>(Take(4), 4));
    public double ReadF64() => BinaryPrimitives.ReadDoubleLittleEndian(new ReadOnlySpan<byte>(Take(8), 8));

    /// <summary>Reads <paramref name="count"/> little-endian values of <typeparamref name="T"/> in one copy.</summary>
    public T[] ReadArray<T>(int count) where T : unmanaged
    {
        var bytes = (long)count * sizeof(T);
        if (bytes > Remaining) throw Error($"an array of {count} {typeof(T).Name} values runs past the end of the {File.Length}-byte file");
        if (bytes > int.MaxValue) throw Error($"an array of {count} {typeof(T).Name} values is larger than 2 GiB");
        // Every platform .NET runs Moxing on is little-endian, so file bytes are the values as they are.
        return new ReadOnlySpan<T>(Take((int)bytes), count).ToArray();
    }

    /// <summary>Reads a count and checks that <paramref name="minBytesEach"/> bytes per item still fit in the file, before anything is allocated for them.</summary>
    public int ReadCount(string what, long minBytesEach)
    {
        var start = Position;
        var count = ReadU64();
        if (count > (ulong)(Remaining / minBytesEach) || count > int.MaxValue)
        {
            Position = start;
            throw Error($"{what} is {count}, more than the {Remaining} bytes left in the file can hold");
        }
        return (int)count;
    }

    /// <summary>Reads <paramref name="length"/> bytes as strict UTF-8.</summary>
    public string ReadUtf8(long length)
    {
        if ((ulong)length > (ulong)Remaining)
            throw Error($"a string of {(ulong)length} bytes runs past the end of the {File.Length}-byte file");
        if (length > int.MaxValue) throw Error($"a string of {length} bytes is longer than 2 GiB");
        var start = Position;
        var bytes = Take((int)length);
        try
        {
            return StrictUtf8.GetString(bytes, (int)length);
        }
        catch (DecoderFallbackException)
        {
            Position = start;
            throw Error($"a string of {length} bytes is not valid UTF-8");
        }
    }
}
