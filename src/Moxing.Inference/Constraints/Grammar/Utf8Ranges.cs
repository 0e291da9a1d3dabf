namespace Moxing.Inference.Constraints.Grammar;

/// <summary>Turns sets of Unicode code points into byte grammars over their UTF-8 encodings (surrogates excluded).</summary>
internal static class Utf8Ranges
{
    /// <summary>A symbol matching one code point from the inclusive ranges (code points U+D800–U+DFFF are left out).</summary>
    public static Symbol Symbol(GrammarBuilder builder, IEnumerable<(int Lo, int Hi)> ranges)
    {
        var sequences = new List<Symbol>();
        var ascii = default(ByteClass);
        foreach (var (lo, hi) in ranges)
            foreach (var (a, b) in (ReadOnlySpan<(int, int)>)[(lo, Math.Min(hi, 0xD7FF)), (Math.Max(lo, 0xE000), Math.Min(hi, 0x10FFFF))])
                foreach (var (from, to) in (ReadOnlySpan<(int, int)>)[(a, Math.Min(b, 0x7F)), (Math.Max(a, 0x80), Math.Min(b, 0x7FF)), (Math.Max(a, 0x800), Math.Min(b, 0xFFFF)), (Math.Max(a, 0x10000), b)])
                {
                    if (from > to) continue;
                    if (to <= 0x7F) ascii = ascii.Union(ByteClass.Range(from, to));
                    else Split(builder, from, to, sequences);
                }
        if (!ascii.IsEmpty) sequences.Add(builder.Bytes(ascii));
        return sequences.Count == 1 ? sequences[0] : builder.Choice(sequences);
    }

    /// <summary>Whether <paramref name="bytes"/> ends at a character boundary (no multi-byte sequence left open).</summary>
    public static bool IsCharBoundary(ReadOnlySpan<byte> bytes)
    {
        var i = bytes.Length - 1;
        var continuation = 0;
        while (i >= 0 && (bytes[i] & 0xC0) == 0x80) { i--; continuation++; }
        if (i < 0) return continuation == 0;
        var lead = bytes[i];
        var need = lead < 0x80 ? 0 : lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
        return need == continuation;
    }

    // Splits [lo, hi] (same encoded length) until every byte position is an independent range, then adds the sequence.
    private static void Split(GrammarBuilder builder, int lo, int hi, List<Symbol> output)
    {
        var length = hi <= 0x7FF ? 2 : hi <= 0xFFFF ? 3 : 4;
        for (var i = 1; i < length; i++)
        {
            var m = (1 << (6 * i)) - 1;
            if ((lo & ~m) == (hi & ~m)) continue;
            if ((lo & m) != 0)
            {
                Split(builder, lo, lo | m, output);
                Split(builder, (lo | m) + 1, hi, output);
                return;
            }
            if ((hi & m) != m)
            {
                Split(builder, lo, (hi & ~m) - 1, output);
                Split(builder, hi & ~m, hi, output);
                return;
            }
        }
        Span<byte> a = stackalloc byte[4];
        Span<byte> b = stackalloc byte[4];
        new System.Text.Rune(lo).EncodeToUtf8(a);
        new System.Text.Rune(hi).EncodeToUtf8(b);
        var seq = new Symbol[length];
        for (var i = 0; i < length; i++) seq[i] = builder.Bytes(ByteClass.Range(a[i], b[i]));
        output.Add(builder.Sequence(seq));
    }
}
