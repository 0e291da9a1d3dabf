using System.Buffers.Binary;
using Moxing.Core;

namespace Moxing.Training.Data.Readers;

/// <summary>
/// An IDX file (the MNIST format): two zero bytes, a type code, the number of dimensions, each dimension as a
/// big-endian int32, then the values big-endian, row-major.
/// </summary>
public sealed record IdxFile(int[] Shape, float[] Values, byte TypeCode)
{
    /// <summary>Unsigned bytes (MNIST images and labels).</summary>
    public const byte UnsignedByte = 0x08;

    /// <summary>Reads an IDX file (gzip-compressed when it ends in .gz).</summary>
    public static IdxFile Read(string path)
    {
        var bytes = DataFile.ReadAll(path);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new InvalidModelFileException(path, "not an IDX file (expected two zero bytes, a type code and a rank)");
        var type = bytes[2];
        var width = type switch
        {
            0x08 or 0x09 => 1,
            0x0B => 2,
            0x0C or 0x0D => 4,
            0x0E => 8,
            _ => throw new InvalidModelFileException(path, $"unknown IDX type code 0x{type:X2} (expected 08, 09, 0B, 0C, 0D or 0E)"),
        };
        var rank = bytes[3];
        if (rank == 0) throw new InvalidModelFileException(path, "IDX rank is 0");
        var header = 4 + 4 * rank;
        if (bytes.Length < header) throw new InvalidModelFileException(path, $"truncated IDX header ({rank} dimensions)");
        var shape = new int[rank];
        long count = 1;
        for (var d = 0; d < rank; d++)
        {
            var size = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size <= 0) throw new InvalidModelFileException(path, $"IDX dimension {d} is {size}");
            shape[d] = size;
            count *= size;
            if (count * width > bytes.Length) break;
        }
        if (count * width != bytes.Length - header)
            throw new InvalidModelFileException(path, $"IDX shape [{string.Join(", ", shape)}] needs {count * width} data bytes, the file has {bytes.Length - header}");
        var values = new float[count];
        var data = bytes.AsSpan(header);
        for (var i = 0; i < values.Length; i++)
        {
            var v = data.Slice(i * width, width);
            values[i] = type switch
            {
                0x08 => v[0],
                0x09 => (sbyte)v[0],
                0x0B => BinaryPrimitives.ReadInt16BigEndian(v),
                0x0C => BinaryPrimitives.ReadInt32BigEndian(v),
                0x0D => BinaryPrimitives.ReadSingleBigEndian(v),
                _ => (float)BinaryPrimitives.ReadDoubleBigEndian(v),
            };
        }
        return new IdxFile(shape, values, type);
    }

    /// <summary>Writes values as an IDX file of unsigned bytes (values must be integers 0..255).</summary>
    public static void WriteBytes(string path, int[] shape, ReadOnlySpan<byte> values)
    {
        using var stream = File.Create(path);
        stream.Write([0, 0, UnsignedByte, (byte)shape.Length]);
        Span<byte> dim = stackalloc byte[4];
        foreach (var d in shape)
        {
            BinaryPrimitives.WriteInt32BigEndian(dim, d);
            stream.Write(dim);
        }
        stream.Write(values);
    }
}
