using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Moxing.Core.Formats;

/// <summary>UTF-8 checks for text read from outside (JSON files, request bodies), so that bad bytes are reported where they are.</summary>
public static class Utf8Text
{
    /// <summary>The offset of the first byte that does not begin a well-formed UTF-8 sequence, or -1 when <paramref name="bytes"/> is valid.</summary>
    public static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return -1;
        var at = 0;
        while (Rune.DecodeFromUtf8(bytes[at..], out _, out var length) == OperationStatus.Done) at += length;
        return at;
    }
}
