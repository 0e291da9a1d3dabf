using System.IO.Compression;
using Moxing.Core;

namespace Moxing.Training.Data.Readers;

/// <summary>Opens data files (gzip-compressed when they end in .gz) and phrases their errors.</summary>
public static class DataFile
{
    /// <summary>A readable stream of the file's content, decompressed when the name ends in .gz.</summary>
    public static Stream Open(string path)
    {
        if (!File.Exists(path)) throw new InvalidModelFileException(path, "no such data file");
        Stream stream = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(stream, CompressionMode.Decompress) : stream;
    }

    /// <summary>The lines of a text file (gzip or plain), numbered from 1.</summary>
    public static IEnumerable<(int Number, string Text)> Lines(string path)
    {
        using var reader = new StreamReader(Open(path));
        var number = 0;
        while (ReadLine(reader, path) is { } line) yield return (++number, line);
    }

    /// <summary>All bytes of a file (gzip or plain), refusing files larger than <paramref name="limit"/>.</summary>
    public static byte[] ReadAll(string path, long limit = 2L << 30)
    {
        using var stream = Open(path);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int n;
        while ((n = Read(stream, chunk, path)) > 0)
        {
            if (buffer.Length + n > limit) throw new InvalidModelFileException(path, $"larger than {limit} bytes");
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>An error naming the file and line.</summary>
    public static InvalidModelFileException Error(string path, int line, string problem) => new(path, $"line {line}: {problem}");

    private static string? ReadLine(StreamReader reader, string path)
    {
        try { return reader.ReadLine(); }
        catch (InvalidDataException e) { throw new InvalidModelFileException(path, "not a valid gzip file", e); }
    }

    private static int Read(Stream stream, byte[] chunk, string path)
    {
        try { return stream.Read(chunk, 0, chunk.Length); }
        catch (InvalidDataException e) { throw new InvalidModelFileException(path, "not a valid gzip file", e); }
    }
}
