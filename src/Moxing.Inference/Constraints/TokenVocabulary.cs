using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Constraints;

/// <summary>
/// The bytes each token adds to the text, and a trie over them in preorder (label, depth, subtree end, tokens ending
/// at the node) so a mask is one linear scan that skips every subtree whose prefix the grammar rejects. Special
/// tokens are never text: each gets its own byte sequence starting with <see cref="SpecialMark"/>, a byte no UTF-8 text holds,
/// so only a grammar that names the token (<see cref="SpecialTokenBytes"/>) allows it; ordinary tokens holding that byte (a
/// byte-level piece of invalid UTF-8, which no grammar accepts) are left out. Built once per tokenizer and shared.
/// </summary>
internal sealed class TokenVocabulary
{
    private static readonly ConditionalWeakTable<Tokenizer, TokenVocabulary> Cache = [];

    /// <summary>The byte that starts a special token's sequence (never in UTF-8 text).</summary>
    public const byte SpecialMark = 0xFF;

    /// <summary>Number of token ids (tokenizer vocabulary size).</summary>
    public int Size { get; }

    /// <summary>Per token id, the UTF-8 bytes it adds in context, or null when it can never appear in constrained text.</summary>
    public byte[]?[] TokenBytes { get; }

    /// <summary>Per trie node (preorder, root excluded), the byte on the edge into it.</summary>
    public byte[] Label { get; }

    /// <summary>Per trie node, its depth (1 for children of the root).</summary>
    public int[] Depth { get; }

    /// <summary>Per trie node, the index just past its subtree.</summary>
    public int[] SubtreeEnd { get; }

    /// <summary>Per trie node, the start of the tokens ending there in <see cref="EndingTokens"/> (one extra entry at the end).</summary>
    public int[] TokensStart { get; }

    /// <summary>Token ids grouped by the node they end at.</summary>
    public int[] EndingTokens { get; }

    /// <summary>The longest token in bytes.</summary>
    public int MaxDepth { get; }

    /// <summary>The vocabulary of <paramref name="tokenizer"/> (computed once per tokenizer instance).</summary>
    public static TokenVocabulary For(Tokenizer tokenizer) => Cache.GetValue(tokenizer, t => new TokenVocabulary(t));

    private TokenVocabulary(Tokenizer tokenizer)
    {
        Size = tokenizer.VocabSize;
        TokenBytes = new byte[]?[Size];
        var anchor = tokenizer.Encode("a", addSpecialTokens: false);
        var anchorText = tokenizer.Decode(anchor, skipSpecialTokens: false);
        var ids = new int[anchor.Length + 1];
        anchor.CopyTo(ids, 0);
        var byteLevel = IsByteLevel(tokenizer);
        var order = new List<int>(Size);
        for (var id = 0; id < Size; id++)
        {
            if (tokenizer.IdToToken(id) is not { } raw) continue;
            if (tokenizer.IsSpecialToken(id))
            {
                TokenBytes[id] = SpecialTokenBytes(id);
                order.Add(id);
                continue;
            }
            ids[^1] = id;
            // Decoded after an anchor so that decoders that treat the first token specially (Metaspace) show the real piece.
            var text = tokenizer.Decode(ids, skipSpecialTokens: false);
            var piece = text.StartsWith(anchorText, StringComparison.Ordinal) ? text[anchorText.Length..] : tokenizer.Decode([id], false);
            var bytes = piece.Contains('\uFFFD') ? RawBytes(raw, byteLevel) : Encoding.UTF8.GetBytes(piece);
            if (bytes is not { Length: > 0 } || bytes.AsSpan().Contains(SpecialMark)) continue;
            TokenBytes[id] = bytes;
            order.Add(id);
        }
        order.Sort((a, b) => TokenBytes[a]!.AsSpan().SequenceCompareTo(TokenBytes[b]));
        var labels = new List<byte>();
        var depths = new List<int>();
        var ending = new int[order.Count];
        var endNode = new int[order.Count];
        var path = new List<int>();
        byte[] previous = [];
        for (var i = 0; i < order.Count; i++)
        {
            var bytes = TokenBytes[order[i]]!;
            var common = bytes.AsSpan().CommonPrefixLength(previous);
            path.RemoveRange(common, path.Count - common);
            for (var d = common; d < bytes.Length; d++)
            {
                path.Add(labels.Count);
                labels.Add(bytes[d]);
                depths.Add(d + 1);
            }
            ending[i] = order[i];
            endNode[i] = path[^1];
            previous = bytes;
            MaxDepth = Math.Max(MaxDepth, bytes.Length);
        }
        Label = [.. labels];
        Depth = [.. depths];
        EndingTokens = ending;
        TokensStart = new int[Label.Length + 1];
        foreach (var node in endNode) TokensStart[node + 1]++;
        for (var n = 0; n < Label.Length; n++) TokensStart[n + 1] += TokensStart[n];
        SubtreeEnd = new int[Label.Length];
        var open = new Stack<int>();
        for (var n = 0; n < Label.Length; n++)
        {
            while (open.Count > 0 && Depth[open.Peek()] >= Depth[n]) SubtreeEnd[open.Pop()] = n;
            open.Push(n);
        }
        while (open.Count > 0) SubtreeEnd[open.Pop()] = Label.Length;
    }

    /// <summary>The bytes standing for special token <paramref name="id"/> in a grammar: the mark, then the id.</summary>
    public static byte[] SpecialTokenBytes(int id) => [SpecialMark, (byte)(id >> 24), (byte)(id >> 16), (byte)(id >> 8), (byte)id];

    // Byte-level BPE (GPT-2, Llama 3, Qwen) spells the space byte as 'Ġ'.
    private static bool IsByteLevel(Tokenizer tokenizer) =>
        tokenizer.TokenToId("Ġ") is { } id && tokenizer.Decode([id], false) == " ";

    // A token that is part of a UTF-8 sequence: its bytes from the vocabulary string itself.
    private static byte[]? RawBytes(string raw, bool byteLevel)
    {
        if (raw.Length == 6 && raw.StartsWith("<0x", StringComparison.Ordinal) && raw[5] == '>'
            && byte.TryParse(raw.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var single))
            return [single];
        if (!byteLevel) return null;
        var bytes = new byte[raw.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            var b = ByteLevelChars.ByteOf(raw[i]);
            if (b < 0) return null;
            bytes[i] = (byte)b;
        }
        return bytes;
    }
}
