namespace Moxing.Core.Formats.Images;

internal sealed partial class JpegFrame
{
    // cos((2x + 1)uπ/16) · C(u)/2, for the separable inverse DCT.
    private static readonly float[] Basis = BuildBasis();

    private static float[] BuildBasis()
    {
        var b = new float[64];
        for (var x = 0; x < 8; x++)
            for (var u = 0; u < 8; u++)
                b[x * 8 + u] = (float)((u == 0 ? Math.Sqrt(0.5) : 1) / 2 * Math.Cos((2 * x + 1) * u * Math.PI / 16));
        return b;
    }

    /// <summary>The decoded image: each component's blocks dequantized and inverse-transformed, chroma replicated to full size, then RGB.</summary>
    public RgbImage ToImage()
    {
        if (_components.Length == 0) throw new InvalidImageException("JPEG image has no frame header");
        var planes = _components.Select(Plane).ToArray();
        var pixels = new byte[(long)_width * _height * 3];
        var rgb = _components.Length == 3 && (AdobeTransform == 0 || _components.Select(c => c.Id).SequenceEqual(new[] { 'R', 'G', 'B' }.Select(ch => (int)ch)));
        for (var y = 0; y < _height; y++)
            for (var x = 0; x < _width; x++)
            {
                var o = ((long)y * _width + x) * 3;
                if (_components.Length == 1)
                {
                    pixels[o] = pixels[o + 1] = pixels[o + 2] = Sample(planes[0], _components[0], x, y);
                    continue;
                }
                float y0 = Sample(planes[0], _components[0], x, y), cb = Sample(planes[1], _components[1], x, y), cr = Sample(planes[2], _components[2], x, y);
                if (rgb) (pixels[o], pixels[o + 1], pixels[o + 2]) = ((byte)y0, (byte)cb, (byte)cr);
                else
                {
                    cb -= 128;
                    cr -= 128;
                    pixels[o] = Clamp(y0 + 1.402f * cr);
                    pixels[o + 1] = Clamp(y0 - 0.344136f * cb - 0.714136f * cr);
                    pixels[o + 2] = Clamp(y0 + 1.772f * cb);
                }
            }
        return new RgbImage(_width, _height, pixels);
    }

    // The component's sample covering image pixel (x, y): its own grid is H/Hmax × V/Vmax of the image's.
    private byte Sample(byte[] plane, Component c, int x, int y) => plane[y * c.V / _vMax * (c.StoredWide * 8) + x * c.H / _hMax];

    private static byte Clamp(float v) => (byte)Math.Clamp(MathF.Round(v), 0, 255);

    // The component's samples, StoredWide·8 wide, from its dequantized coefficients.
    private byte[] Plane(Component c)
    {
        var table = _quant[c.Quant] ?? throw new InvalidImageException($"JPEG component {c.Id} uses quantization table {c.Quant}, which is not defined");
        int wide = c.StoredWide * 8, blocks = c.Coefficients.Length / 64;
        var plane = new byte[(long)blocks * 64];
        Span<float> block = stackalloc float[64], rows = stackalloc float[64];
        for (var i = 0; i < blocks; i++)
        {
            var z = c.Coefficients.AsSpan(i * 64, 64);
            for (var k = 0; k < 64; k++) block[k] = z[k] * table[k];
            // rows[y, u] = Σv basis(y, v) F[v, u]; then sample[y, x] = Σu basis(x, u) rows[y, u].
            for (var y = 0; y < 8; y++)
                for (var u = 0; u < 8; u++)
                {
                    var sum = 0f;
                    for (var v = 0; v < 8; v++) sum += Basis[y * 8 + v] * block[v * 8 + u];
                    rows[y * 8 + u] = sum;
                }
            int bx = i % c.StoredWide * 8, by = i / c.StoredWide * 8;
            for (var y = 0; y < 8; y++)
                for (var x = 0; x < 8; x++)
                {
                    var sum = 128f;
                    for (var u = 0; u < 8; u++) sum += Basis[x * 8 + u] * rows[y * 8 + u];
                    plane[(by + y) * wide + bx + x] = Clamp(sum);
                }
        }
        return plane;
    }
}
