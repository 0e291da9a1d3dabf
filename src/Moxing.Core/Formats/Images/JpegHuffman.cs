namespace Moxing.Core.Formats.Images;

/// <summary>One JPEG Huffman table (ITU T.81 annex C): canonical codes from the 16 code-length counts and their symbols.</summary>
internal sealed class JpegHuffman
{
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valueOffset = new int[17];
    private readonly byte[] _symbols;

    public JpegHuffman(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> symbols)
    {
        _symbols = symbols.ToArray();
        int code = 0, k = 0;
        for (var length = 1; length <= 16; length++)
        {
            _valueOffset[length] = k - code;
            code += counts[length - 1];
            k += counts[length - 1];
            if (code > 1 << length) throw new InvalidImageException("JPEG Huffman table has more codes than its lengths allow");
            _maxCode[length] = counts[length - 1] > 0 ? code - 1 : -1;
            code <<= 1;
        }
        _maxCode[17] = int.MaxValue;
    }

    /// <summary>The next symbol from <paramref name="bits"/>.</summary>
    public int Decode(ref JpegBitReader bits)
    {
        var code = 0;
        for (var length = 1; length <= 16; length++)
        {
            code = code << 1 | bits.Bit();
            if (code <= _maxCode[length]) return _symbols[code + _valueOffset[length]];
        }
        throw new InvalidImageException("JPEG scan holds a Huffman code its table does not have");
    }
}

/// <summary>Reads the entropy-coded bits of a JPEG scan: 0xFF00 stuffing removed; at a marker it gives zeros and stops there.</summary>
internal ref struct JpegBitReader(ReadOnlySpan<byte> data, int at)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _bits;
    private int _count;

    /// <summary>Where the next unread byte is (a marker once the scan's data are read).</summary>
    public int Position { get; private set; } = at;

    /// <summary>One bit.</summary>
    public int Bit()
    {
        if (_count == 0)
        {
            _bits = NextByte();
            _count = 8;
        }
        _count--;
        return _bits >> _count & 1;
    }

    /// <summary><paramref name="n"/> bits, most significant first.</summary>
    public int Bits(int n)
    {
        var v = 0;
        for (var i = 0; i < n; i++) v = v << 1 | Bit();
        return v;
    }

    /// <summary>A coefficient of magnitude category <paramref name="n"/> (T.81 F.2.2.1's EXTEND).</summary>
    public int Receive(int n)
    {
        if (n == 0) return 0;
        if (n > 16) throw new InvalidImageException($"JPEG coefficient of {n} bits is out of range");
        var v = Bits(n);
        return v < 1 << (n - 1) ? v - (1 << n) + 1 : v;
    }

    /// <summary>Drops the bits left in the byte and reads past a restart marker.</summary>
    public void Restart()
    {
        _count = 0;
        while (Position + 1 < _data.Length && !(_data[Position] == 0xFF && _data[Position + 1] is >= 0xD0 and <= 0xD7)) Position++;
        if (Position + 1 >= _data.Length) throw new InvalidImageException("JPEG image is truncated (a restart marker is missing)");
        Position += 2;
    }

    private int NextByte()
    {
        if (Position >= _data.Length) throw new InvalidImageException("JPEG image is truncated inside a scan");
        var b = _data[Position];
        if (b != 0xFF) return _data[Position++];
        if (Position + 1 >= _data.Length) throw new InvalidImageException("JPEG image is truncated inside a scan");
        if (_data[Position + 1] == 0) Position += 2;
        // A marker ends the scan's data: pad with zeros as decoders do.
        else return 0;
        return 0xFF;
    }
}
