using Moxing.Core.Formats.Images;

namespace Moxing.Models.Vision;

/// <summary>
/// An image as the tower takes it: resized to the tower's square (bilinear over corner-aligned samples, truncated to 8 bits, as llama.cpp's
/// clip preprocessing does), scaled to [0, 1], then normalized per channel by the tower's mean and std, laid out [3, size, size].
/// </summary>
public static class VisionPreprocessor
{
    /// <summary>The normalized pixels of <paramref name="image"/> for a tower of <paramref name="o"/>.</summary>
    public static float[] Pixels(RgbImage image, VisionOptions o)
    {
        var size = o.ImageSize;
        var resized = Resize(image, size, size);
        var pixels = new float[3 * size * size];
        for (var c = 0; c < 3; c++)
        {
            float mean = o.Mean[c], std = o.Std[c];
            for (var i = 0; i < size * size; i++) pixels[c * size * size + i] = (resized[i * 3 + c] / 255f - mean) / std;
        }
        return pixels;
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
