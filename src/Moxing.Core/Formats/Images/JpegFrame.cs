using System.Buffers.Binary;

namespace Moxing.Core.Formats.Images;

/// <summary>The state of one JPEG frame while its scans are read: components, tables and every block's coefficients.</summary>
internal sealed partial class JpegFrame
{
    private static readonly byte[] ZigZag =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    private sealed class Component
    {
        public int Id, H, V, Quant, BlocksWide, BlocksHigh, StoredWide, DcTable, AcTable, Predictor;
        public short[] Coefficients = [];
    }

    private readonly ushort[][] _quant = new ushort[4][];
    private readonly JpegHuffman?[] _dc = new JpegHuffman?[4], _ac = new JpegHuffman?[4];
    private Component[] _components = [];
    private int _width, _height, _hMax, _vMax, _mcusWide, _mcusHigh, _eobRun;
    private bool _progressive;

    public int RestartInterval { get; set; }
    public int AdobeTransform { get; set; } = -1;

    public void ReadFrame(ReadOnlySpan<byte> b, bool progressive, long maxPixels)
    {
        if (_components.Length > 0) throw new InvalidImageException("JPEG image has more than one frame");
        if (b.Length < 6) throw new InvalidImageException("JPEG frame header is truncated");
        if (b[0] != 8) throw new InvalidImageException($"JPEG sample precision {b[0]} is not supported (8-bit JPEGs are)");
        _height = BinaryPrimitives.ReadUInt16BigEndian(b[1..]);
        _width = BinaryPrimitives.ReadUInt16BigEndian(b[3..]);
        ImageDecoder.CheckSize("JPEG", _width, _height, maxPixels);
        var count = b[5];
        if (count is not (1 or 3)) throw new InvalidImageException($"JPEG with {count} components is not supported (greyscale and three-component colour are; CMYK is not)");
        if (b.Length < 6 + 3 * count) throw new InvalidImageException("JPEG frame header is truncated");
        _progressive = progressive;
        _components = new Component[count];
        for (var i = 0; i < count; i++)
        {
            var c = b.Slice(6 + 3 * i, 3);
            int h = c[1] >> 4, v = c[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4 || c[2] > 3)
                throw new InvalidImageException($"JPEG component {c[0]} has invalid sampling {h}×{v} or table {c[2]}");
            _components[i] = new Component { Id = c[0], H = h, V = v, Quant = c[2] };
        }
        _hMax = _components.Max(c => c.H);
        _vMax = _components.Max(c => c.V);
        _mcusWide = (_width + 8 * _hMax - 1) / (8 * _hMax);
        _mcusHigh = (_height + 8 * _vMax - 1) / (8 * _vMax);
        foreach (var c in _components)
        {
            if (_hMax % c.H != 0 || _vMax % c.V != 0)
                throw new InvalidImageException($"JPEG component {c.Id}'s sampling {c.H}×{c.V} does not divide the largest ({_hMax}×{_vMax})");
            c.BlocksWide = (int)Math.Ceiling(Math.Ceiling(_width * (double)c.H / _hMax) / 8);
            c.BlocksHigh = (int)Math.Ceiling(Math.Ceiling(_height * (double)c.V / _vMax) / 8);
            c.StoredWide = _mcusWide * c.H;
            c.Coefficients = new short[(long)c.StoredWide * _mcusHigh * c.V * 64];
        }
    }

    public void ReadQuantization(ReadOnlySpan<byte> b)
    {
        while (!b.IsEmpty)
        {
            int precision = b[0] >> 4, id = b[0] & 15, size = precision == 0 ? 64 : 128;
            if (id > 3 || precision > 1 || b.Length < 1 + size) throw new InvalidImageException("JPEG quantization table is invalid or truncated");
            var table = new ushort[64];
            for (var i = 0; i < 64; i++)
                table[ZigZag[i]] = precision == 0 ? b[1 + i] : BinaryPrimitives.ReadUInt16BigEndian(b[(1 + 2 * i)..]);
            _quant[id] = table;
            b = b[(1 + size)..];
        }
    }

    public void ReadHuffman(ReadOnlySpan<byte> b)
    {
        while (!b.IsEmpty)
        {
            if (b.Length < 17) throw new InvalidImageException("JPEG Huffman table is truncated");
            int kind = b[0] >> 4, id = b[0] & 15, total = 0;
            for (var i = 1; i <= 16; i++) total += b[i];
            if (kind > 1 || id > 3 || b.Length < 17 + total) throw new InvalidImageException("JPEG Huffman table is invalid or truncated");
            var table = new JpegHuffman(b.Slice(1, 16), b.Slice(17, total));
            (kind == 0 ? _dc : _ac)[id] = table;
            b = b[(17 + total)..];
        }
    }

    /// <summary>Decodes the scan whose header is <paramref name="header"/> and whose data start at <paramref name="at"/>; returns where the data end.</summary>
    public int ReadScan(ReadOnlySpan<byte> data, ReadOnlySpan<byte> header, int at)
    {
        if (_components.Length == 0) throw new InvalidImageException("JPEG scan comes before its frame header");
        var count = header.Length > 0 ? header[0] : 0;
        if (count < 1 || header.Length < 4 + 2 * count) throw new InvalidImageException("JPEG scan header is truncated");
        var scan = new Component[count];
        for (var i = 0; i < count; i++)
        {
            var id = header[1 + 2 * i];
            var c = Array.Find(_components, x => x.Id == id) ?? throw new InvalidImageException($"JPEG scan names component {id}, which the frame does not have");
            (c.DcTable, c.AcTable) = (header[2 + 2 * i] >> 4 & 3, header[2 + 2 * i] & 3);
            scan[i] = c;
        }
        var p = header[(1 + 2 * count)..];
        int start = p[0], end = p[1], high = p[2] >> 4, low = p[2] & 15;
        if (!_progressive) (start, end, high, low) = (0, 63, 0, 0);
        if (start > end || end > 63 || (start == 0 && end != 0 && _progressive) || low > 13)
            throw new InvalidImageException($"JPEG scan's spectral range {start}–{end} or approximation {high}/{low} is invalid");
        foreach (var c in scan)
        {
            c.Predictor = 0;
            if (start == 0 && high == 0 && _dc[c.DcTable] == null) throw new InvalidImageException($"JPEG scan uses DC Huffman table {c.DcTable}, which is not defined");
            if (end > 0 && _ac[c.AcTable] == null) throw new InvalidImageException($"JPEG scan uses AC Huffman table {c.AcTable}, which is not defined");
        }
        _eobRun = 0;
        var bits = new JpegBitReader(data, at);
        var decoder = new BlockDecoder(this, start, end, high, low);
        var restart = RestartInterval;
        var unit = 0;
        if (count == 1)
        {
            // A single-component scan walks that component's own blocks, not whole MCUs.
            var c = scan[0];
            for (var by = 0; by < c.BlocksHigh; by++)
                for (var bx = 0; bx < c.BlocksWide; bx++)
                {
                    Restart(ref bits, ref unit, restart, scan);
                    decoder.Block(ref bits, c, by * c.StoredWide + bx);
                }
        }
        else
        {
            for (var my = 0; my < _mcusHigh; my++)
                for (var mx = 0; mx < _mcusWide; mx++)
                {
                    Restart(ref bits, ref unit, restart, scan);
                    foreach (var c in scan)
                        for (var v = 0; v < c.V; v++)
                            for (var h = 0; h < c.H; h++)
                                decoder.Block(ref bits, c, (my * c.V + v) * c.StoredWide + mx * c.H + h);
                }
        }
        return bits.Position;
    }

    private void Restart(ref JpegBitReader bits, ref int unit, int interval, Component[] scan)
    {
        if (interval > 0 && unit > 0 && unit % interval == 0)
        {
            bits.Restart();
            _eobRun = 0;
            foreach (var c in scan) c.Predictor = 0;
        }
        unit++;
    }

    /// <summary>Decodes one block's part of a scan (T.81 F.2 sequential, G.1.2 progressive) into the frame's coefficients.</summary>
    private readonly struct BlockDecoder(JpegFrame f, int start, int end, int high, int low)
    {
        public void Block(ref JpegBitReader bits, Component c, int index)
        {
            var z = c.Coefficients.AsSpan(index * 64, 64);
            if (!f._progressive)
            {
                Dc(ref bits, c, z);
                AcFirst(ref bits, c, z, 1, 63, 0);
            }
            else if (start == 0)
            {
                if (high == 0) Dc(ref bits, c, z);
                else if (bits.Bit() == 1) z[0] |= (short)(1 << low);
            }
            else if (high == 0) AcFirst(ref bits, c, z, start, end, low);
            else AcRefine(ref bits, c, z);
        }

        private void Dc(ref JpegBitReader bits, Component c, Span<short> z)
        {
            c.Predictor += bits.Receive(f._dc[c.DcTable]!.Decode(ref bits));
            z[0] = (short)(c.Predictor * (1 << low));
        }

        private void AcFirst(ref JpegBitReader bits, Component c, Span<short> z, int from, int to, int shift)
        {
            if (f._eobRun > 0)
            {
                f._eobRun--;
                return;
            }
            var table = f._ac[c.AcTable]!;
            for (var k = from; k <= to;)
            {
                var rs = table.Decode(ref bits);
                int run = rs >> 4, size = rs & 15;
                if (size == 0)
                {
                    if (run < 15)
                    {
                        // EOBn: this and the next 2^n − 1 + bits blocks end here.
                        f._eobRun = (1 << run) - 1 + (run > 0 ? bits.Bits(run) : 0);
                        return;
                    }
                    k += 16;
                    continue;
                }
                k += run;
                if (k > 63) throw new InvalidImageException("JPEG block has more than 64 coefficients");
                z[ZigZag[k++]] = (short)(bits.Receive(size) * (1 << shift));
            }
        }

        // G.1.2.3: refines coefficients already non-zero by one bit, and places the newly non-zero ones.
        private void AcRefine(ref JpegBitReader bits, Component c, Span<short> z)
        {
            int plus = 1 << low, minus = -1 << low, k = start;
            if (f._eobRun <= 0)
            {
                var table = f._ac[c.AcTable]!;
                for (; k <= end;)
                {
                    var rs = table.Decode(ref bits);
                    int run = rs >> 4, size = rs & 15, value = 0;
                    if (size == 0)
                    {
                        if (run < 15)
                        {
                            f._eobRun = (1 << run) + (run > 0 ? bits.Bits(run) : 0);
                            break;
                        }
                    }
                    else
                    {
                        if (size != 1) throw new InvalidImageException("JPEG refinement scan has a coefficient wider than one bit");
                        value = bits.Bit() == 1 ? plus : minus;
                    }
                    for (; k <= end; k++)
                    {
                        ref var coefficient = ref z[ZigZag[k]];
                        if (coefficient != 0) Correct(ref bits, ref coefficient, plus);
                        else if (run-- == 0) break;
                    }
                    if (value != 0 && k <= end) z[ZigZag[k]] = (short)value;
                    k++;
                }
            }
            if (f._eobRun > 0)
            {
                for (; k <= end; k++)
                {
                    ref var coefficient = ref z[ZigZag[k]];
                    if (coefficient != 0) Correct(ref bits, ref coefficient, plus);
                }
                f._eobRun--;
            }
        }

        private static void Correct(ref JpegBitReader bits, ref short coefficient, int plus)
        {
            if (bits.Bit() == 0 || (coefficient & plus) != 0) return;
            coefficient += (short)(coefficient >= 0 ? plus : -plus);
        }
    }
}
