using Moxing.Core;
using Moxing.Core.Formats.Images;

namespace Moxing.Models.Vision;

/// <summary>
/// The views of an image the tower encodes, in prompt order: Idefics3's <paramref name="Rows"/> × <paramref name="Columns"/> tiles row by
/// row, then the global view (the whole image); for other projectors the image alone (no tiles).
/// </summary>
public sealed record ImageViews(int Rows, int Columns, IReadOnlyList<RgbImage> Views);

/// <summary>
/// An image as the tower takes it: resized to <see cref="Size"/> (bilinear over corner-aligned samples, truncated to 8 bits, as llama.cpp's
/// clip preprocessing does), scaled to [0, 1], then normalized per channel by the tower's mean and std, laid out [3, height, width].
/// </summary>
public static class VisionPreprocessor
{
    /// <summary>The normalized pixels of <paramref name="image"/> for a tower of <paramref name="o"/>.</summary>
    public static float[] Pixels(RgbImage image, VisionOptions o)
    {
        var (width, height) = Size(image, o);
        var resized = Resize(image, width, height);
        var area = width * height;
        var pixels = new float[3 * area];
        for (var c = 0; c < 3; c++)
        {
            float mean = o.Mean[c], std = o.Std[c];
            for (var i = 0; i < area; i++) pixels[c * area + i] = (resized[i * 3 + c] / 255f - mean) / std;
        }
        return pixels;
    }

    /// <summary>
    /// The size <paramref name="image"/> is resized to: the tower's square, or for a <see cref="VisionOptions.DynamicSize"/> tower
    /// transformers' Qwen2-VL smart_resize — each side rounded to the nearest multiple of <see cref="VisionOptions.SizeFactor"/> (halves to
    /// even, as Python's round), then scaled down (sides floored) when over <see cref="VisionOptions.MaxPixels"/> or up (ceiled) when under
    /// <see cref="VisionOptions.MinPixels"/>, the aspect kept.
    /// </summary>
    public static (int Width, int Height) Size(RgbImage image, VisionOptions o)
    {
        if (!o.DynamicSize) return (o.ImageSize, o.ImageSize);
        double f = o.SizeFactor, width = image.Width, height = image.Height;
        if (Math.Max(width, height) / Math.Min(width, height) > 200)
            throw new MoxingException($"an image of {image.Width} × {image.Height} is too elongated: its aspect ratio must be under 200");
        int w = (int)(Math.Max(1, Math.Round(width / f, MidpointRounding.ToEven)) * f), h = (int)(Math.Max(1, Math.Round(height / f, MidpointRounding.ToEven)) * f);
        if ((long)w * h > o.MaxPixels)
        {
            var beta = Math.Sqrt(height * width / o.MaxPixels);
            (w, h) = ((int)Math.Max(f, Math.Floor(width / beta / f) * f), (int)Math.Max(f, Math.Floor(height / beta / f) * f));
        }
        else if ((long)w * h < o.MinPixels)
        {
            var beta = Math.Sqrt(o.MinPixels / (height * width));
            (w, h) = ((int)(Math.Ceiling(width * beta / f) * f), (int)(Math.Ceiling(height * beta / f) * f));
        }
        return (w, h);
    }

    /// <summary>
    /// The views of <paramref name="image"/> for a tower of <paramref name="o"/>: for Idefics3, as llama.cpp's preprocessor cuts them, the
    /// image resized so its longer side is <see cref="VisionOptions.LongestEdge"/> with each side rounded up to whole tiles of
    /// <see cref="VisionOptions.ImageSize"/> (stretched to that size), its tiles, then the whole image as the global view.
    /// </summary>
    public static ImageViews Views(RgbImage image, VisionOptions o)
    {
        if (o.Projector != VisionProjector.Idefics3) return new ImageViews(0, 0, [image]);
        var (width, height) = TiledSize(image.Width, image.Height, o);
        int s = o.ImageSize, rows = height / s, columns = width / s;
        var refined = Resize(image, width, height);
        var views = new List<RgbImage>(rows * columns + 1);
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
            {
                var tile = new byte[s * s * 3];
                for (var y = 0; y < s; y++) refined.AsSpan(((r * s + y) * width + c * s) * 3, s * 3).CopyTo(tile.AsSpan(y * s * 3));
                views.Add(new RgbImage(s, s, tile));
            }
        views.Add(image);
        return new ImageViews(rows, columns, views);
    }

    // llama.cpp's calc_size_preserved_ratio aligned to the tile: scaled to the longest edge and rounded up, or rounded to whole tiles.
    private static (int Width, int Height) TiledSize(int width, int height, VisionOptions o)
    {
        var s = o.ImageSize;
        if (o.LongestEdge <= 0)
            return (Math.Max(s, (int)MathF.Round(width / (float)s, MidpointRounding.AwayFromZero) * s),
                Math.Max(s, (int)MathF.Round(height / (float)s, MidpointRounding.AwayFromZero) * s));
        var scale = MathF.Min(o.LongestEdge / (float)width, o.LongestEdge / (float)height);
        return ((int)MathF.Ceiling(width * scale / s) * s, (int)MathF.Ceiling(height * scale / s) * s);
    }

    /// <summary>RGB bytes of <paramref name="image"/> resized to <paramref name="width"/> × <paramref name="height"/>.</summary>
    public static byte[] Resize(RgbImage image, int width, int height)
    {
        if (image.Width == width && image.Height == height) return image.Pixels;
        var result = new byte[width * height * 3];
        float xRatio = width > 1 ? (image.Width - 1f) / (width - 1) : 0, yRatio = height > 1 ? (image.Height - 1f) / (height - 1) : 0;
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                float px = x * xRatio, py = y * yRatio;
                int x0 = Math.Min((int)px, image.Width - 1), y0 = Math.Min((int)py, image.Height - 1);
                int x1 = Math.Min(x0 + 1, image.Width - 1), y1 = Math.Min(y0 + 1, image.Height - 1);
                float fx = px - x0, fy = py - y0;
                for (var c = 0; c < 3; c++)
                {
                    float top = Lerp(image[x0, y0, c], image[x1, y0, c], fx), bottom = Lerp(image[x0, y1, c], image[x1, y1, c], fx);
                    result[(y * width + x) * 3 + c] = (byte)Math.Clamp((int)Lerp(top, bottom, fy), 0, 255);
                }
            }
        return result;
    }

    private static float Lerp(float a, float b, float t) => a + (b - a) * t;
}
