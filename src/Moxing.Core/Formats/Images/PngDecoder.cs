using System.Buffers.Binary;
using System.IO.Compression;

namespace Moxing.Core.Formats.Images;

/// <summary>
/// PNG (ISO/IEC 15948): every colour type and bit depth, palettes, Adam7 interlacing; 16-bit samples keep their high byte, alpha
/// and transparency are dropped (as PIL's convert("RGB") and llama.cpp's three-channel load do).
/// </summary>
internal static class PngDecoder
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    public static RgbImage Decode(ReadOnlySpan<byte> data, long maxPixels)
    {
        var at = Signature.Length;
        int width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
        byte[]? palette = null;
        using var compressed = new MemoryStream();
        var ended = false;
        while (!ended)
        {
            if (at + 8 > data.Length) throw new InvalidImageException("PNG image is truncated (no IEND chunk)");
            var length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            var type = data.Slice(at + 4, 4);
            if (length > int.MaxValue || at + 12 + (long)length > data.Length)
                throw new InvalidImageException($"PNG image is truncated (chunk '{Name(type)}' of {length} bytes)");
            var body = data.Slice(at + 8, (int)length);
            at += 12 + (int)length;
            if (colour < 0 && !type.SequenceEqual("IHDR"u8)) throw new InvalidImageException("PNG image does not start with its IHDR chunk");
            switch (Name(type))
            {
                case "IHDR":
                    if (body.Length < 13) throw new InvalidImageException("PNG IHDR chunk is shorter than 13 bytes");
                    width = checked((int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body), int.MaxValue));
                    height = checked((int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body[4..]), int.MaxValue));
                    ImageDecoder.CheckSize("PNG", width, height, maxPixels);
                    (depth, colour, interlace) = (body[8], body[9], body[12]);
                    CheckFormat(depth, colour, interlace, body[10], body[11]);
                    break;
                case "PLTE":
                    palette = body.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(body);
                    break;
                case "IEND":
                    ended = true;
                    break;
            }
        }
        if (colour == 3 && palette == null) throw new InvalidImageException("PNG image is palette-coloured but has no PLTE chunk");
        var channels = colour switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var bitsPerPixel = channels * depth;
        var raw = Inflate(compressed, RawSize(width, height, bitsPerPixel, interlace));
        var pixels = new byte[(long)width * height * 3];
        var reader = new PixelReader(colour, depth, palette);
        if (interlace == 0) Unfilter(raw, 0, width, height, bitsPerPixel, (x, y, line) => reader.Put(line, x, pixels, y * width + x));
        else
        {
            var offset = 0;
            foreach (var (x0, y0, dx, dy) in Adam7)
            {
                int w = (width - x0 + dx - 1) / dx, h = (height - y0 + dy - 1) / dy;
                if (w <= 0 || h <= 0) continue;
                offset = Unfilter(raw, offset, w, h, bitsPerPixel, (x, y, line) => reader.Put(line, x, pixels, (y0 + y * dy) * width + x0 + x * dx));
            }
        }
        return new RgbImage(width, height, pixels);
    }

    private static string Name(ReadOnlySpan<byte> type) => System.Text.Encoding.ASCII.GetString(type);

    private static void CheckFormat(int depth, int colour, int interlace, int compression, int filter)
    {
        var allowed = colour switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!allowed) throw new InvalidImageException($"PNG colour type {colour} with bit depth {depth} is not a valid PNG format");
        if (compression != 0 || filter != 0 || interlace > 1)
            throw new InvalidImageException($"PNG compression {compression}, filter {filter} or interlace {interlace} method is unknown");
    }

    // Bytes of filtered scanlines (one filter byte each) the image's passes need.
    private static long RawSize(int width, int height, int bitsPerPixel, int interlace)
    {
        static long Pass(long w, long h, int bpp) => w <= 0 || h <= 0 ? 0 : h * (1 + (w * bpp + 7) / 8);
        if (interlace == 0) return Pass(width, height, bitsPerPixel);
        return Adam7.Sum(p => Pass((width - p.X0 + p.Dx - 1) / p.Dx, (height - p.Y0 + p.Dy - 1) / p.Dy, bitsPerPixel));
    }

    // Exactly `size` bytes of the zlib stream (more are ignored, fewer are an error): the bound the header's size allows.
    private static byte[] Inflate(MemoryStream compressed, long size)
    {
        if (size > Array.MaxLength) throw new InvalidImageException($"PNG image needs {size} bytes of scanlines, more than can be held");
        var raw = new byte[size];
        compressed.Position = 0;
        try
        {
            using var z = new ZLibStream(compressed, CompressionMode.Decompress);
            z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: true);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
        {
            throw new InvalidImageException($"PNG image data is corrupt or truncated ({e.Message})");
        }
        return raw;
    }

    // Reverses the per-line filters of a w × h pass starting at `offset` in place, handing each line to `put`; returns the pass's end.
    private static int Unfilter(byte[] raw, int offset, int w, int h, int bitsPerPixel, Action<int, int, ReadOnlySpan<byte>> put)
    {
        var stride = (int)((w * (long)bitsPerPixel + 7) / 8);
        var bpp = Math.Max(1, bitsPerPixel / 8);
        Span<byte> previous = new byte[stride];
        for (var y = 0; y < h; y++)
        {
            var filter = raw[offset];
            var line = raw.AsSpan(offset + 1, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= bpp ? line[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0;
                line[i] += filter switch
                {
                    0 => 0,
                    1 => (byte)a,
                    2 => (byte)b,
                    3 => (byte)((a + b) >> 1),
                    4 => (byte)Paeth(a, b, c),
                    _ => throw new InvalidImageException($"PNG scanline {y} has unknown filter type {filter}"),
                };
            }
            for (var x = 0; x < w; x++) put(x, y, line);
            line.CopyTo(previous);
            offset += 1 + stride;
        }
        return offset;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    // Reads pixel x of an unfiltered line as 8-bit RGB.
    private sealed class PixelReader(int colour, int depth, byte[]? palette)
    {
        public void Put(ReadOnlySpan<byte> line, int x, byte[] pixels, long index)
        {
            var o = index * 3;
            if (colour == 3)
            {
                var i = Sample(line, x, 0, 1) * 3;
                if (i + 2 >= palette!.Length) throw new InvalidImageException($"PNG palette index {i / 3} is beyond its {palette.Length / 3} entries");
                (pixels[o], pixels[o + 1], pixels[o + 2]) = (palette[i], palette[i + 1], palette[i + 2]);
                return;
            }
            var channels = colour switch { 0 => 1, 2 => 3, 4 => 2, _ => 4 };
            if (colour is 0 or 4)
            {
                var grey = Eight(Sample(line, x, 0, channels));
                pixels[o] = pixels[o + 1] = pixels[o + 2] = grey;
                return;
            }
            for (var c = 0; c < 3; c++) pixels[o + c] = Eight(Sample(line, x, c, channels));
        }

        // Sample c of pixel x at this depth.
        private int Sample(ReadOnlySpan<byte> line, int x, int c, int channels)
        {
            if (depth == 8) return line[x * channels + c];
            if (depth == 16) return line[(x * channels + c) * 2] << 8 | line[(x * channels + c) * 2 + 1];
            var bit = x * depth;
            return line[bit >> 3] >> (8 - depth - (bit & 7)) & ((1 << depth) - 1);
        }

        // Scales a sample of this depth to 8 bits: 16-bit keep the high byte, 1/2/4-bit grey spreads over 0–255.
        private byte Eight(int v) => depth switch
        {
            16 => (byte)(v >> 8),
            8 => (byte)v,
            _ => (byte)(v * 255 / ((1 << depth) - 1)),
        };
    }
}
