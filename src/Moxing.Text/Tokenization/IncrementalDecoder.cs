namespace Moxing.Text.Tokenization;

/// <summary>
/// Decodes a stream of ids one at a time and hands out only text that later ids cannot change: a UTF-8
/// sequence split over byte tokens is held until complete, and (with clean-up) a trailing space is held
/// until the next token shows whether punctuation removes it. The pieces joined equal Decode of all ids.
/// </summary>
/// <remarks>
/// It decodes a small window of recent ids: the ids since the last point where all text was handed out,
/// plus the ids of the step before as context, so decoders that treat the first token specially
/// (Metaspace, Strip, WordPiece) see the same context on every step (Hugging Face DecodeStream).
/// </remarks>
public sealed class IncrementalDecoder
{
    // Held-back text older than this many ids is handed out anyway, so a stream of invalid bytes (or of
    // spaces under clean-up) cannot make every step decode an ever longer window.
    private const int MaxWindow = 128;

    private readonly Tokenizer _tokenizer;
    private readonly bool _skipSpecialTokens;
    private readonly IReadOnlyCollection<string>? _keptSpecialTokens;
    private readonly List<int> _window = [];
    private int _contextCount;
    private string _emitted = "";

    internal IncrementalDecoder(Tokenizer tokenizer, bool skipSpecialTokens, IReadOnlyCollection<string>? keptSpecialTokens)
    {
        _tokenizer = tokenizer;
        _skipSpecialTokens = skipSpecialTokens;
        _keptSpecialTokens = keptSpecialTokens;
    }

    /// <summary>Adds one id and returns the text it completes (often empty).</summary>
    public string Add(int id)
    {
        _window.Add(id);
        string text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_window), _skipSpecialTokens, _keptSpecialTokens);
        if (!text.StartsWith(_emitted, StringComparison.Ordinal)) return "";
        int stable = _window.Count > MaxWindow ? text.Length : StableLength(text);
        if (stable <= _emitted.Length) return "";
        string piece = text[_emitted.Length..stable];
        if (stable == text.Length)
        {
            // Everything is out: keep the ids since the last such point as context for the next step.
            _window.RemoveRange(0, _contextCount);
            _contextCount = _window.Count;
            _emitted = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_window), _skipSpecialTokens, _keptSpecialTokens);
        }
        else
        {
            _emitted = text[..stable];
        }
        return piece;
    }

    /// <summary>Returns whatever is still held back (an incomplete character decodes as U+FFFD) and starts over.</summary>
    public string Flush()
    {
        string text = _tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_window), _skipSpecialTokens, _keptSpecialTokens);
        string rest = text.StartsWith(_emitted, StringComparison.Ordinal) ? text[_emitted.Length..] : "";
        Reset();
        return rest;
    }

    /// <summary>Forgets all ids.</summary>
    public void Reset()
    {
        _window.Clear();
        _contextCount = 0;
        _emitted = "";
    }

    private int StableLength(string text)
    {
        int stable = text.Length;
        // Trailing U+FFFD is an incomplete UTF-8 sequence that later byte tokens may complete.
        while (stable > 0 && text[stable - 1] == '\uFFFD') stable--;
        if (!_tokenizer.CleanUpTokenizationSpaces) return stable;
        // Clean-up patterns (" .", " n't", …) start with a space and span at most four chars.
        for (int i = stable - 1; i >= Math.Max(0, stable - 3); i--)
        {
            if (text[i] != ' ') continue;
            stable = i;
            i = stable;
        }
        return stable;
    }
}
