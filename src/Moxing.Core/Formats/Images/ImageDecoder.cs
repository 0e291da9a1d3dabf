namespace Moxing.Core.Formats.Images;

/// <summary>Decodes PNG and JPEG (baseline and progressive) bytes into <see cref="RgbImage"/>s, bounded in pixels.</summary>
public static class ImageDecoder
{
    /// <summary>The most pixels an image may have unless the caller says otherwise (32 Mpx: 96 MiB decoded).</summary>
    public const long DefaultMaxPixels = 32L << 20;

    /// <summary>
    /// Decodes <paramref name="data"/> (PNG or JPEG, told apart by their signatures); an image of more than
    /// <paramref name="maxPixels"/> pixels is refused before anything its size depends on is allocated.
    /// </summary>
    public static RgbImage Decode(ReadOnlySpan<byte> data, long maxPixels = DefaultMaxPixels)
    {
        if (data.StartsWith(PngDecoder.Signature)) return PngDecoder.Decode(data, maxPixels);
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return JpegDecoder.Decode(data, maxPixels);
        throw new InvalidImageException($"unknown image format ({Describe(data)}): PNG and JPEG images are read");
    }

    /// <summary>Refuses a width × height beyond <paramref name="maxPixels"/> or an empty image.</summary>
    internal static void CheckSize(string format, long width, long height, long maxPixels)
    {
        if (width <= 0 || height <= 0) throw new InvalidImageException($"{format} image has no pixels ({width} × {height})");
        if (width * height > maxPixels)
            throw new InvalidImageException($"{format} image of {width} × {height} pixels exceeds the limit of {maxPixels} pixels");
    }

    // Names the formats people send most often, so a client knows to convert.
    private static string Describe(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return "no bytes";
        if (data.StartsWith("GIF8"u8)) return "GIF";
        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8)) return "WebP";
        if (data.StartsWith("BM"u8)) return "BMP";
        return "first bytes " + Convert.ToHexString(data[..Math.Min(4, data.Length)]);
    }
}
