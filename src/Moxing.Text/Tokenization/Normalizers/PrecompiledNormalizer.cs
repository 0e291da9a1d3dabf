using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization.Normalizers;

/// <summary>
/// SentencePiece's precompiled normalization rules (a Darts double-array trie of UTF-8 keys and a blob of
/// NUL-terminated replacements), applied per grapheme cluster as Hugging Face's spm_precompiled does:
/// a cluster under 6 bytes is replaced whole when any prefix of it is a key, else char by char.
/// </summary>
internal sealed class PrecompiledNormalizer : TextNormalizer
{
    private readonly uint[] _trie;
    private readonly byte[] _replacements;

    private PrecompiledNormalizer(uint[] trie, byte[] replacements)
    {
        _trie = trie;
        _replacements = replacements;
    }

    /// <summary>Reads the base64 precompiled_charsmap; a missing or empty map normalizes nothing.</summary>
    public static INormalizer FromBase64(JsonNode? node)
    {
        if (node is not { } charsmap) return new SequenceNormalizer([]);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(charsmap.AsString());
        }
        catch (FormatException)
        {
            throw charsmap.Error("expected base64 text");
        }
        if (bytes.Length == 0) return new SequenceNormalizer([]);
        return FromBytes(bytes) ?? throw charsmap.Error("the precompiled charsmap is malformed (trie size does not fit)");
    }

    /// <summary>Parses a raw charsmap (as GGUF stores it), or null when it is malformed.</summary>
    public static PrecompiledNormalizer? FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 4) return null;
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (trieSize % 4 != 0 || trieSize > bytes.Length - 4) return null;
        var trie = new uint[trieSize / 4];
        for (int i = 0; i < trie.Length; i++) trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 + i * 4)..]);
        return new PrecompiledNormalizer(trie, bytes[(4 + (int)trieSize)..].ToArray());
    }

    /// <inheritdoc/>
    public override string Transform(string text)
    {
        var builder = new StringBuilder(text.Length);
        Span<byte> utf8 = stackalloc byte[8];
        int i = 0;
        while (i < text.Length)
        {
            int length = StringInfo.GetNextTextElementLength(text.AsSpan(i));
            ReadOnlySpan<char> grapheme = text.AsSpan(i, length);
            i += length;
            if (Encoding.UTF8.GetByteCount(grapheme) < 6)
            {
                int n = Encoding.UTF8.GetBytes(grapheme, utf8);
                if (TryReplacement(utf8[..n], builder)) continue;
            }
            for (int j = 0; j < grapheme.Length;)
            {
                int charLength = char.IsHighSurrogate(grapheme[j]) && j + 1 < grapheme.Length ? 2 : 1;
                int n = Encoding.UTF8.GetBytes(grapheme.Slice(j, charLength), utf8);
                if (!TryReplacement(utf8[..n], builder)) builder.Append(grapheme.Slice(j, charLength));
                j += charLength;
            }
        }
        string result = builder.ToString();
        return result == text ? text : result;
    }

    // Appends the replacement of the shortest key that prefixes the chunk, if there is one.
    private bool TryReplacement(ReadOnlySpan<byte> chunk, StringBuilder builder)
    {
        int value = FirstPrefixValue(chunk);
        if (value < 0 || value > _replacements.Length) return false;
        int end = Array.IndexOf(_replacements, (byte)0, value);
        if (end < 0) end = _replacements.Length;
        builder.Append(Encoding.UTF8.GetString(_replacements, value, end - value));
        return true;
    }

    private int FirstPrefixValue(ReadOnlySpan<byte> key)
    {
        if (_trie.Length == 0) return -1;
        uint node = Offset(_trie[0]);
        foreach (byte c in key)
        {
            if (c == 0) return -1;
            node ^= c;
            if (node >= _trie.Length) return -1;
            uint unit = _trie[node];
            if ((unit & 0x800000FFu) != c) return -1;
            node ^= Offset(unit);
            if (((unit >> 8) & 1) != 0) return node < _trie.Length ? (int)(_trie[node] & 0x7FFFFFFFu) : -1;
        }
        return -1;
    }

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
