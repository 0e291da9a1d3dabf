using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>Reads JSON strings into a reusable char buffer, so bulk data (merges) allocates no strings.</summary>
internal sealed class JsonText
{
    private char[] _buffer = new char[256];

    /// <summary>The chars of a JSON string value (valid until the next call), or false when it is not a string.</summary>
    public bool TryRead(JsonElement element, out ReadOnlySpan<char> text)
    {
        text = default;
        if (element.ValueKind != JsonValueKind.String) return false;
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(element);
        raw = raw[1..^1];
        if (raw.IndexOf((byte)'\\') >= 0)
        {
            // Escaped text is rare in tokenizer files; let the JSON reader unescape it.
            text = element.GetString().AsSpan();
            return true;
        }
        if (_buffer.Length < raw.Length) _buffer = new char[Math.Max(raw.Length, _buffer.Length * 2)];
        int n = Encoding.UTF8.GetChars(raw, _buffer);
        text = _buffer.AsSpan(0, n);
        return true;
    }
}
