using System.Buffers.Binary;
using System.IO.Compression;

namespace Moxing.Tests;

/// <summary>Writes PNG bytes for tests: 8-bit RGB or RGBA, every line with the filter the test picks, optionally Adam7-interlaced.</summary>
internal static class TestPng
{
    /// <summary>A deterministic test picture: smooth gradients plus a checker, so resizing and decoding errors show.</summary>
    public static byte[] Pixels(int width, int height, int seed = 0)
    {
        var p = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                var o = (y * width + x) * 3;
                p[o] = (byte)((x * 255 / Math.Max(1, width - 1) + seed * 37) & 255);
                p[o + 1] = (byte)((y * 255 / Math.Max(1, height - 1) + seed * 11) & 255);
                p[o + 2] = (byte)(((x / 3 + y / 3) & 1) == 0 ? 40 + seed : 210 - seed);
            }
        return p;
    }

    /// <summary>PNG bytes of RGB <paramref name="rgb"/>; <paramref name="alpha"/> adds an alpha channel, <paramref name="filter"/> (0–4, or 5 for each in turn) filters lines.</summary>
    public static byte[] Encode(int width, int height, byte[] rgb, bool alpha = false, int filter = 5, bool interlaced = false)
    {
        var channels = alpha ? 4 : 3;
        var raw = new MemoryStream();
        if (!interlaced) Pass(raw, width, height, rgb, channels, filter, 0, 0, 1, 1, width);
        else
            foreach (var (x0, y0, dx, dy) in new[] { (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2) })
                Pass(raw, width, height, rgb, channels, filter, x0, y0, dx, dy, width);
        var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(raw.ToArray());
        var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9], header[12]) = (8, (byte)(alpha ? 6 : 2), (byte)(interlaced ? 1 : 0));
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Pass(MemoryStream raw, int width, int height, byte[] rgb, int channels, int filter, int x0, int y0, int dx, int dy, int stride)
    {
        int w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy;
        if (w <= 0 || h <= 0) return;
        var previous = new byte[w * channels];
        for (var y = 0; y < h; y++)
        {
            var line = new byte[w * channels];
            for (var x = 0; x < w; x++)
            {
                var src = ((y0 + y * dy) * stride + x0 + x * dx) * 3;
                for (var c = 0; c < 3; c++) line[x * channels + c] = rgb[src + c];
                if (channels == 4) line[x * channels + 3] = (byte)(x * 7);
            }
            var f = filter == 5 ? y % 5 : filter;
            raw.WriteByte((byte)f);
            for (var i = 0; i < line.Length; i++)
            {
                int a = i >= channels ? line[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                var predicted = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) >> 1, _ => Paeth(a, b, c) };
                raw.WriteByte((byte)(line[i] - predicted));
            }
            previous = line;
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Appends one chunk with its CRC.</summary>
    public static void Chunk(Stream png, string type, byte[] body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        png.Write(word);
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(body).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc(typed));
        png.Write(word);
    }

    // CRC-32 (ISO 3309) of a chunk's type and body.
    private static uint Crc(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
