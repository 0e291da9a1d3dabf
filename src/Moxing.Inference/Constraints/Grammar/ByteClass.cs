namespace Moxing.Inference.Constraints.Grammar;

/// <summary>A set of byte values (256 bits), the terminal of a byte grammar.</summary>
internal readonly record struct ByteClass(ulong W0, ulong W1, ulong W2, ulong W3)
{
    /// <summary>The class of exactly one byte.</summary>
    public static ByteClass Of(byte b) => Range(b, b);

    /// <summary>The class of the bytes lo..hi inclusive.</summary>
    public static ByteClass Range(int lo, int hi)
    {
        Span<ulong> w = stackalloc ulong[4];
        for (var b = lo; b <= hi; b++) w[b >> 6] |= 1UL << (b & 63);
        return new ByteClass(w[0], w[1], w[2], w[3]);
    }

    /// <summary>The class of the given bytes.</summary>
    public static ByteClass OfChars(string ascii)
    {
        var c = default(ByteClass);
        foreach (var ch in ascii) c = c.Union(Of((byte)ch));
        return c;
    }

    /// <summary>Bytes in either class.</summary>
    public ByteClass Union(ByteClass o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);

    /// <summary>Bytes in this class and not in <paramref name="o"/>.</summary>
    public ByteClass Except(ByteClass o) => new(W0 & ~o.W0, W1 & ~o.W1, W2 & ~o.W2, W3 & ~o.W3);

    /// <summary>True when no byte is in the class.</summary>
    public bool IsEmpty => (W0 | W1 | W2 | W3) == 0;

    /// <summary>Whether <paramref name="b"/> is in the class.</summary>
    public bool Contains(byte b) => ((b >> 6) switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 } >> (b & 63) & 1) != 0;
}
