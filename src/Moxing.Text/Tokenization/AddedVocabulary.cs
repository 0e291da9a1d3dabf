using System.Buffers;
using Moxing.Text.Tokenization.Normalizers;
using Moxing.Text.Tokenization.Unicode;

namespace Moxing.Text.Tokenization;

/// <summary>
/// Finds added tokens in text the way Hugging Face's AddedVocabulary does: leftmost-longest matches, first
/// among tokens matched on the raw text, then (after normalization) among tokens matched on normalized text;
/// single_word, lstrip and rstrip apply to each match.
/// </summary>
internal sealed class AddedVocabulary
{
    private readonly TokenTrie _raw;
    private readonly TokenTrie _normalized;
    private readonly Dictionary<int, AddedToken> _byId = [];
    private readonly Dictionary<string, int> _byContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, string> _decodeText = [];
    private readonly HashSet<string> _specialContents = new(StringComparer.Ordinal);

    /// <summary>Indexes the tokens; normalized tokens are matched by their normalized content.</summary>
    public AddedVocabulary(IReadOnlyList<AddedToken> tokens, INormalizer? normalizer)
    {
        _raw = new TokenTrie();
        _normalized = new TokenTrie();
        foreach (var token in tokens)
        {
            if (token.Content.Length == 0) continue;
            _byId[token.Id] = token;
            _byContent[token.Content] = token.Id;
            if (token.Special) _specialContents.Add(token.Content);
            string pattern = token.Content;
            if (token.Normalized && normalizer is not null)
            {
                pattern = normalizer.Normalize(TextPiece.Whole(token.Content, false)).Text;
                if (pattern != token.Content) _decodeText[token.Id] = pattern;
            }
            (token.Normalized ? _normalized : _raw).Add(pattern, token.Id);
        }
    }

    /// <summary>The id of the added token with this content, if any.</summary>
    public int? IdOf(string content) => _byContent.TryGetValue(content, out int id) ? id : null;

    /// <summary>The text decoding gives an added token (its normalized content when it has one).</summary>
    public string? DecodeText(int id) => _decodeText.TryGetValue(id, out string? text) ? text : _byId.GetValueOrDefault(id)?.Content;

    /// <summary>Whether a token string is the content of a special added token (Decode's skip test).</summary>
    public bool IsSpecialContent(string token) => _specialContents.Contains(token);

    /// <summary>Cuts <paramref name="text"/> into added-token matches (Id ≥ 0) and text between them (Id = -1).</summary>
    public void Split(ReadOnlySpan<char> text, bool normalizedTokens, List<(int Start, int End, int Id)> output)
    {
        TokenTrie trie = normalizedTokens ? _normalized : _raw;
        if (trie.IsEmpty)
        {
            output.Add((0, text.Length, -1));
            return;
        }
        int startOffset = 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int found = text[pos..].IndexOfAny(trie.FirstChars);
            if (found < 0) break;
            pos += found;
            int length = trie.LongestMatch(text[pos..], out int id);
            if (length == 0)
            {
                pos++;
                continue;
            }
            int start = pos, stop = pos + length;
            pos = stop;
            var token = _byId[id];
            if (token.SingleWord)
            {
                bool startSpace = start == 0 || !EndsWithWord(text[..start]);
                bool stopSpace = stop == text.Length || !StartsWithWord(text[stop..]);
                if (!startSpace || !stopSpace) continue;
            }
            if (token.LStrip) start = Math.Max(start - TrailingWhitespace(text[..start]), startOffset);
            if (token.RStrip) stop += LeadingWhitespace(text[stop..]);
            if (startOffset < start) output.Add((startOffset, start, -1));
            output.Add((start, stop, id));
            startOffset = stop;
        }
        if (startOffset != text.Length) output.Add((startOffset, text.Length, -1));
    }

    private static bool EndsWithWord(ReadOnlySpan<char> text)
    {
        int i = text.Length - 1;
        if (i > 0 && char.IsLowSurrogate(text[i]) && char.IsHighSurrogate(text[i - 1])) i--;
        return CodePoints.IsWordCharacter(CodePoints.At(text, i, out _));
    }

    private static bool StartsWithWord(ReadOnlySpan<char> text) => CodePoints.IsWordCharacter(CodePoints.At(text, 0, out _));

    private static int TrailingWhitespace(ReadOnlySpan<char> text)
    {
        int n = 0;
        while (n < text.Length && CodePoints.IsWhitespace(text[text.Length - 1 - n])) n++;
        return n;
    }

    private static int LeadingWhitespace(ReadOnlySpan<char> text)
    {
        int n = 0;
        while (n < text.Length && CodePoints.IsWhitespace(text[n])) n++;
        return n;
    }

    /// <summary>A char trie of token contents for leftmost-longest matching.</summary>
    private sealed class TokenTrie
    {
        private readonly Node _root = new();
        private readonly HashSet<char> _first = [];
        private SearchValues<char>? _firstChars;

        public bool IsEmpty => _first.Count == 0;

        public SearchValues<char> FirstChars => _firstChars ??= SearchValues.Create([.. _first]);

        public void Add(string content, int id)
        {
            Node node = _root;
            foreach (char c in content)
            {
                node.Children ??= [];
                if (!node.Children.TryGetValue(c, out Node? child)) node.Children[c] = child = new Node();
                node = child;
            }
            node.Id = id;
            _first.Add(content[0]);
            _firstChars = null;
        }

        // Length of the longest token that starts the text (0 if none).
        public int LongestMatch(ReadOnlySpan<char> text, out int id)
        {
            id = -1;
            int best = 0;
            Node node = _root;
            for (int i = 0; i < text.Length; i++)
            {
                if (node.Children is null || !node.Children.TryGetValue(text[i], out Node? child)) break;
                node = child;
                if (node.Id >= 0)
                {
                    best = i + 1;
                    id = node.Id;
                }
            }
            return best;
        }

        private sealed class Node
        {
            public Dictionary<char, Node>? Children;
            public int Id = -1;
        }
    }
}
