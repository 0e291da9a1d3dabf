namespace Moxing.Core.Formats.Images;

/// <summary>A decoded image: <paramref name="Width"/> × <paramref name="Height"/> pixels of 8-bit R, G, B, row by row (alpha dropped).</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    /// <summary>Channel <paramref name="c"/> (0 red, 1 green, 2 blue) of the pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public byte this[int x, int y, int c] => Pixels[(y * Width + x) * 3 + c];
}

/// <summary>An image that cannot be decoded: truncated, corrupt, too large or of a format not read here; the message names the problem.</summary>
public sealed class InvalidImageException(string problem) : MoxingException(problem);
