using System.Buffers;
using System.Text;

namespace Moxing.Text.Tokenization.Models;

/// <summary>GPT-2's bytes_to_unicode: every byte as a printable char, so byte-level BPE works on strings.</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>The char standing for a byte.</summary>
    public static char Char(byte b) => ByteToChar[b];

    /// <summary>The byte a char stands for, or -1.</summary>
    public static int Byte(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    /// <summary>Maps the UTF-8 bytes of <paramref name="text"/> to byte-level chars.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[]? rentedBytes = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        char[]? rentedChars = max > 1024 ? ArrayPool<char>.Shared.Rent(max) : null;
        try
        {
            Span<byte> bytes = rentedBytes is null ? stackalloc byte[1024] : rentedBytes;
            Span<char> chars = rentedChars is null ? stackalloc char[1024] : rentedChars;
            int n = Encoding.UTF8.GetBytes(text, bytes);
            for (int i = 0; i < n; i++) chars[i] = ByteToChar[bytes[i]];
            return new string(chars[..n]);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedChars is not null) ArrayPool<char>.Shared.Return(rentedChars);
        }
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + n++);
        }
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[324];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }
}
