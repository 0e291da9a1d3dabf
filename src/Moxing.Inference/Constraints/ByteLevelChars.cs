namespace Moxing.Inference.Constraints;

/// <summary>Inverse of GPT-2's bytes_to_unicode: the byte a byte-level BPE vocabulary char stands for.</summary>
internal static class ByteLevelChars
{
    private static readonly short[] Bytes = Build();

    /// <summary>The byte <paramref name="c"/> stands for, or -1.</summary>
    public static int ByteOf(char c) => c < Bytes.Length ? Bytes[c] : -1;

    // Printable Latin-1 bytes stand for themselves; the other 68 bytes are numbered from U+0100 in byte order.
    private static short[] Build()
    {
        var map = new short[512];
        Array.Fill(map, (short)-1);
        var shifted = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            map[printable ? b : 0x100 + shifted++] = (short)b;
        }
        return map;
    }
}
