namespace Moxing.Tests;

/// <summary>
/// Encodes JPEG bytes for tests: YCbCr with 4:4:4 or 4:2:0 sampling, sequential (baseline) or progressive with spectral selection and
/// successive approximation on DC and AC (T.81 annex G, as libjpeg's encoder writes it), optional restart intervals. One Huffman
/// table holds every symbol (so end-of-band runs need no table of their own).
/// </summary>
internal sealed class TestJpeg
{
    private static readonly int[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    private readonly List<byte> _out = [];
    private int _bits, _count, _eobRun;
    private readonly List<int> _eobBits = [];
    private readonly int _width, _height, _sub, _restart;
    private bool _progressive;
    private readonly int[][] _blocks = new int[3][];
    private readonly int[] _wide = new int[3], _high = new int[3];

    /// <summary>The quantizer every coefficient is divided by (a flat table keeps the expected error simple).</summary>
    public const int Quantizer = 2;

    private TestJpeg(int width, int height, byte[] rgb, bool subsample, int restart)
    {
        (_width, _height, _sub, _restart) = (width, height, subsample ? 2 : 1, restart);
        int mcusWide = (width + 8 * _sub - 1) / (8 * _sub), mcusHigh = (height + 8 * _sub - 1) / (8 * _sub);
        for (var c = 0; c < 3; c++)
        {
            var s = c == 0 ? _sub : 1;
            (_wide[c], _high[c]) = (mcusWide * s, mcusHigh * s);
            _blocks[c] = new int[_wide[c] * _high[c] * 64];
            var factor = c == 0 ? 1 : _sub;
            for (var by = 0; by < _high[c]; by++)
                for (var bx = 0; bx < _wide[c]; bx++)
                    Transform(c, factor, rgb, bx, by, _blocks[c].AsSpan((by * _wide[c] + bx) * 64, 64));
        }
    }

    /// <summary>JPEG bytes of RGB <paramref name="rgb"/>.</summary>
    public static byte[] Encode(int width, int height, byte[] rgb, bool progressive = false, bool subsample = false, int restart = 0)
    {
        var j = new TestJpeg(width, height, rgb, subsample, restart);
        j._progressive = progressive;
        j.Headers(progressive);
        if (!progressive) j.Scan([0, 1, 2], 0, 63, 0, 0);
        else
        {
            j.Scan([0, 1, 2], 0, 0, 0, 1);
            j.Scan([0], 1, 5, 0, 2);
            j.Scan([2], 1, 63, 0, 1);
            j.Scan([1], 1, 63, 0, 1);
            j.Scan([0], 6, 63, 0, 2);
            j.Scan([0], 1, 63, 2, 1);
            j.Scan([0, 1, 2], 0, 0, 1, 0);
            j.Scan([2], 1, 63, 1, 0);
            j.Scan([1], 1, 63, 1, 0);
            j.Scan([0], 1, 63, 1, 0);
        }
        j._out.AddRange([0xFF, 0xD9]);
        return [.. j._out];
    }

    /// <summary>The pixel values a decoder should give back, up to the IDCT's rounding: the quantized coefficients transformed back.</summary>
    public static byte[] Expected(int width, int height, byte[] rgb, bool subsample = false)
    {
        var j = new TestJpeg(width, height, rgb, subsample, 0);
        var planes = new double[3][];
        for (var c = 0; c < 3; c++)
        {
            planes[c] = new double[PlaneSize(j, c)];
            for (var b = 0; b < j._wide[c] * j._high[c]; b++)
                Inverse(j._blocks[c].AsSpan(b * 64, 64), planes[c], (b % j._wide[c]) * 8, (b / j._wide[c]) * 8, j._wide[c] * 8);
        }
        var result = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
            {
                double Y = planes[0][y * j._wide[0] * 8 + x], cb = planes[1][y / j._sub * j._wide[1] * 8 + x / j._sub] - 128, cr = planes[2][y / j._sub * j._wide[2] * 8 + x / j._sub] - 128;
                var o = (y * width + x) * 3;
                result[o] = Byte(Y + 1.402 * cr);
                result[o + 1] = Byte(Y - 0.344136 * cb - 0.714136 * cr);
                result[o + 2] = Byte(Y + 1.772 * cb);
            }
        return result;
    }

    private static int PlaneSize(TestJpeg j, int c) => j._wide[c] * j._high[c] * 64;

    private static byte Byte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    private static double C(int u) => u == 0 ? Math.Sqrt(0.5) : 1;

    // The block's quantized DCT coefficients (natural order) of component c (0 Y, 1 Cb, 2 Cr), averaging factor × factor pixels per sample.
    private void Transform(int c, int factor, byte[] rgb, int bx, int by, Span<int> block)
    {
        var samples = new double[64];
        for (var y = 0; y < 8; y++)
            for (var x = 0; x < 8; x++)
            {
                double sum = 0;
                for (var dy = 0; dy < factor; dy++)
                    for (var dx = 0; dx < factor; dx++)
                    {
                        int px = Math.Min((bx * 8 + x) * factor + dx, _width - 1), py = Math.Min((by * 8 + y) * factor + dy, _height - 1);
                        double r = rgb[(py * _width + px) * 3], g = rgb[(py * _width + px) * 3 + 1], b = rgb[(py * _width + px) * 3 + 2];
                        sum += c switch
                        {
                            0 => 0.299 * r + 0.587 * g + 0.114 * b,
                            1 => -0.168736 * r - 0.331264 * g + 0.5 * b + 128,
                            _ => 0.5 * r - 0.418688 * g - 0.081312 * b + 128,
                        };
                    }
                samples[y * 8 + x] = sum / (factor * factor) - 128;
            }
        for (var v = 0; v < 8; v++)
            for (var u = 0; u < 8; u++)
            {
                double f = 0;
                for (var y = 0; y < 8; y++)
                    for (var x = 0; x < 8; x++)
                        f += samples[y * 8 + x] * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                block[v * 8 + u] = (int)Math.Round(f * C(u) * C(v) / 4 / Quantizer);
            }
    }

    private static void Inverse(ReadOnlySpan<int> block, double[] plane, int x0, int y0, int stride)
    {
        for (var y = 0; y < 8; y++)
            for (var x = 0; x < 8; x++)
            {
                double s = 0;
                for (var v = 0; v < 8; v++)
                    for (var u = 0; u < 8; u++)
                        s += C(u) * C(v) * block[v * 8 + u] * Quantizer * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                plane[(y0 + y) * stride + x0 + x] = Math.Clamp(Math.Round(s / 4 + 128), 0, 255);
            }
    }

    private void Headers(bool progressive)
    {
        _out.AddRange([0xFF, 0xD8]);
        Segment(0xDB, [0, .. Enumerable.Repeat((byte)Quantizer, 64)]);
        var sampling = (byte)(_sub << 4 | _sub);
        Segment((byte)(progressive ? 0xC2 : 0xC0), [8, (byte)(_height >> 8), (byte)_height, (byte)(_width >> 8), (byte)_width, 3, 1, sampling, 0, 2, 0x11, 0, 3, 0x11, 0]);
        // Every symbol: 254 of length 8, two of length 9.
        var counts = new byte[16];
        (counts[7], counts[8]) = (254, 2);
        var symbols = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        Segment(0xC4, [0x00, .. counts, .. symbols, 0x10, .. counts, .. symbols]);
        if (_restart > 0) Segment(0xDD, [(byte)(_restart >> 8), (byte)_restart]);
    }

    private void Segment(byte marker, byte[] body)
    {
        _out.AddRange([0xFF, marker, (byte)((body.Length + 2) >> 8), (byte)(body.Length + 2)]);
        _out.AddRange(body);
    }

    private void Scan(int[] components, int start, int end, int high, int low)
    {
        var header = new List<byte> { (byte)components.Length };
        foreach (var c in components) header.AddRange([(byte)(c + 1), 0x00]);
        header.AddRange([(byte)start, (byte)end, (byte)(high << 4 | low)]);
        Segment(0xDA, [.. header]);
        var predictors = new int[3];
        var unit = 0;
        void Block(int c, int index)
        {
            var z = _blocks[c].AsSpan(index * 64, 64);
            if (start == 0 && high == 0)
            {
                var dc = z[0] >> low;
                var diff = dc - predictors[c];
                predictors[c] = dc;
                Coefficient(0, diff);
                if (end > 0) AcFirst(z, 1, end, 0);
            }
            else if (start == 0) Bits(z[0] >> low & 1, 1);
            else if (high == 0) AcFirst(z, start, end, low);
            else AcRefine(z, start, end, low);
        }
        void Restart()
        {
            if (_restart > 0 && unit > 0 && unit % _restart == 0)
            {
                FlushEob();
                Flush();
                _out.AddRange([0xFF, (byte)(0xD0 + (unit / _restart - 1) % 8)]);
                Array.Clear(predictors);
            }
            unit++;
        }
        if (components.Length == 1)
        {
            var c = components[0];
            int wide = (int)Math.Ceiling(Math.Ceiling(_width * (c == 0 ? 1.0 : 1.0 / _sub)) / 8), tall = (int)Math.Ceiling(Math.Ceiling(_height * (c == 0 ? 1.0 : 1.0 / _sub)) / 8);
            for (var by = 0; by < tall; by++)
                for (var bx = 0; bx < wide; bx++)
                {
                    Restart();
                    Block(c, by * _wide[c] + bx);
                }
        }
        else
        {
            for (var my = 0; my < _high[1]; my++)
                for (var mx = 0; mx < _wide[1]; mx++)
                {
                    Restart();
                    for (var v = 0; v < _sub; v++)
                        for (var h = 0; h < _sub; h++) Block(0, (my * _sub + v) * _wide[0] + mx * _sub + h);
                    Block(1, my * _wide[1] + mx);
                    Block(2, my * _wide[2] + mx);
                }
        }
        FlushEob();
        Flush();
    }

    // A coefficient as its (run, size) symbol, then its bits.
    private void Coefficient(int run, int value)
    {
        var size = value == 0 ? 0 : 32 - int.LeadingZeroCount(Math.Abs(value));
        Symbol(run << 4 | size);
        if (size > 0) Bits(value < 0 ? value + (1 << size) - 1 : value, size);
    }

    private void AcFirst(Span<int> z, int start, int end, int low)
    {
        var run = 0;
        for (var k = start; k <= end; k++)
        {
            var c = z[ZigZag[k]];
            var v = c >= 0 ? c >> low : -(-c >> low);
            if (v == 0)
            {
                run++;
                continue;
            }
            FlushEob();
            while (run > 15)
            {
                Symbol(0xF0);
                run -= 16;
            }
            Coefficient(run, v);
            run = 0;
        }
        if (run == 0) return;
        // A sequential scan ends each block on its own; a progressive one counts a run of ended blocks.
        _eobRun++;
        if (!_progressive || _eobRun == 0x7FFF) FlushEob();
    }

    private void AcRefine(Span<int> z, int start, int end, int low)
    {
        var absolute = new int[64];
        var last = -1;
        for (var k = start; k <= end; k++)
        {
            absolute[k] = Math.Abs(z[ZigZag[k]]) >> low;
            if (absolute[k] == 1) last = k;
        }
        var run = 0;
        var corrections = new List<int>();
        for (var k = start; k <= end; k++)
        {
            var a = absolute[k];
            if (a == 0)
            {
                run++;
                continue;
            }
            while (run > 15 && k <= last)
            {
                FlushEob();
                Symbol(0xF0);
                run -= 16;
                foreach (var bit in corrections) Bits(bit, 1);
                corrections.Clear();
            }
            if (a > 1)
            {
                corrections.Add(a & 1);
                continue;
            }
            FlushEob();
            Symbol(run << 4 | 1);
            Bits(z[ZigZag[k]] < 0 ? 0 : 1, 1);
            foreach (var bit in corrections) Bits(bit, 1);
            corrections.Clear();
            run = 0;
        }
        if (run > 0 || corrections.Count > 0)
        {
            _eobRun++;
            _eobBits.AddRange(corrections);
            if (_eobRun == 0x7FFF || _eobBits.Count > 900) FlushEob();
        }
    }

    private void FlushEob()
    {
        if (_eobRun == 0) return;
        var n = 31 - int.LeadingZeroCount(_eobRun);
        Symbol(n << 4);
        if (n > 0) Bits(_eobRun & ((1 << n) - 1), n);
        _eobRun = 0;
        foreach (var bit in _eobBits) Bits(bit, 1);
        _eobBits.Clear();
    }

    // The flat table: symbols 0–253 are their own 8-bit code, 254 and 255 the 9-bit codes 0b111111100 and 0b111111101.
    private void Symbol(int s)
    {
        if (s < 254) Bits(s, 8);
        else Bits(0b111111100 + (s - 254), 9);
    }

    private void Bits(int value, int n)
    {
        for (var i = n - 1; i >= 0; i--)
        {
            _bits = _bits << 1 | (value >> i & 1);
            if (++_count == 8) Emit();
        }
    }

    private void Emit()
    {
        _out.Add((byte)_bits);
        if (_bits == 0xFF) _out.Add(0);
        (_bits, _count) = (0, 0);
    }

    // Pads the last byte with ones, as T.81 asks.
    private void Flush()
    {
        while (_count != 0) Bits(1, 1);
    }
}
