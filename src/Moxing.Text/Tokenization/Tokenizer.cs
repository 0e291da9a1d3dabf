using Moxing.Text.Tokenization.Gguf;
using Moxing.Text.Tokenization.Loading;

namespace Moxing.Text.Tokenization;

/// <summary>
/// A text tokenizer that reproduces Hugging Face tokenizers: normalizer, added tokens, pre-tokenizer, model
/// (BPE, WordPiece, WordLevel, Unigram), post-processor and decoder, loaded from tokenizer.json or GGUF
/// metadata. Instances are immutable and safe to use from many threads.
/// </summary>
public sealed class Tokenizer
{
    private readonly TokenizerParts _parts;
    private readonly AddedVocabulary _added;
    private readonly HashSet<int> _specialIds;

    internal Tokenizer(TokenizerParts parts)
    {
        _parts = parts;
        _added = new AddedVocabulary(parts.AddedTokens, parts.Normalizer);
        _specialIds = [];
        foreach (var token in parts.AddedTokens)
        {
            if (token.Special) _specialIds.Add(token.Id);
        }
        int limit = parts.Model.Vocabulary.IdLimit;
        foreach (var token in parts.AddedTokens) limit = Math.Max(limit, token.Id + 1);
        VocabSize = limit;
    }

    /// <summary>Loads tokenizer.json (and tokenizer_config.json beside it, when present, for special-token names).</summary>
    public static Tokenizer FromJson(string path) => TokenizerJsonReader.ReadFile(path);

    /// <summary>Loads tokenizer.json content; <paramref name="sourceName"/> names it in error messages.</summary>
    public static Tokenizer FromJsonText(string json, string sourceName) => TokenizerJsonReader.Read(json, null, sourceName);

    /// <summary>
    /// Builds the tokenizer a GGUF file describes (tokenizer.ggml.* keys; values as a GGUF reader returns them:
    /// strings, numbers, bools and arrays).
    /// </summary>
    public static Tokenizer FromGguf(IReadOnlyDictionary<string, object> metadata, string sourceName) =>
        GgufTokenizerBuilder.Build(metadata, sourceName);

    /// <summary>One more than the largest token id (model vocabulary and added tokens).</summary>
    public int VocabSize { get; }

    /// <summary>The beginning-of-sequence token id, when known.</summary>
    public int? BosTokenId => _parts.SpecialIds.Bos;

    /// <summary>The end-of-sequence token id, when known.</summary>
    public int? EosTokenId => _parts.SpecialIds.Eos;

    /// <summary>The unknown-token id, when known.</summary>
    public int? UnkTokenId => _parts.SpecialIds.Unk;

    /// <summary>The padding token id, when known.</summary>
    public int? PadTokenId => _parts.SpecialIds.Pad;

    /// <summary>The tokens matched in text before the model runs (special and user-defined).</summary>
    public IReadOnlyList<AddedToken> AddedTokens => _parts.AddedTokens;

    /// <summary>The ids of the special added tokens.</summary>
    public IReadOnlySet<int> SpecialTokenIds => _specialIds;

    /// <summary>Whether decoding tidies spaces before punctuation (transformers' clean_up_tokenization_spaces).</summary>
    public bool CleanUpTokenizationSpaces => _parts.CleanUpTokenizationSpaces;

    /// <summary>The special ids the post-processor puts before a sequence (e.g. BOS).</summary>
    public IReadOnlyList<int> PrefixSpecialIds => _parts.PostProcessor.Prefix;

    /// <summary>The special ids the post-processor puts after a sequence (e.g. EOS, [SEP]).</summary>
    public IReadOnlyList<int> SuffixSpecialIds => _parts.PostProcessor.Suffix;

    /// <summary>Tokenizes text; with <paramref name="addSpecialTokens"/> the post-processor adds BOS/EOS/[CLS]… as the source says.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        var segments = new List<(int Start, int End, int Id)>();
        var inner = new List<(int Start, int End, int Id)>();
        var pieces = new List<TextPiece>();
        TextPiece whole = TextPiece.Whole(text, atOrigin: true);
        _added.Split(text, normalizedTokens: false, segments);
        foreach (var (start, end, id) in segments)
        {
            if (id >= 0)
            {
                ids.Add(id);
                continue;
            }
            if (end == start) continue;
            TextPiece piece = whole.Slice(start, end - start);
            if (_parts.Normalizer is not null) piece = _parts.Normalizer.Normalize(piece);
            inner.Clear();
            _added.Split(piece.Span, normalizedTokens: true, inner);
            foreach (var (innerStart, innerEnd, innerId) in inner)
            {
                if (innerId >= 0) ids.Add(innerId);
                else if (innerEnd > innerStart) TokenizePiece(piece.Slice(innerStart, innerEnd - innerStart), pieces, ids);
            }
        }
        return addSpecialTokens ? [.. _parts.PostProcessor.AddSpecialTokens(ids)] : [.. ids];
    }

    /// <summary>
    /// Tokenizes two texts (a query and a document, a question and a passage) joined as the post-processor's pair template says
    /// ([CLS] A [SEP] B [SEP] for BERT, &lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt; for RoBERTa), with each token's type id.
    /// </summary>
    public EncodedPair EncodePair(string first, string second) =>
        _parts.PostProcessor.Join(Encode(first, addSpecialTokens: false), Encode(second, addSpecialTokens: false))
        ?? throw new TokenizerException("the tokenizer's post-processor defines no pair template, so it cannot join two texts");

    /// <summary>Turns ids back into text; unknown ids are skipped, special tokens too when asked (but those in
    /// <paramref name="keptSpecialTokens"/>, such as a tool-call format's markup).</summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens, IReadOnlyCollection<string>? keptSpecialTokens = null)
    {
        var tokens = new List<string>(ids.Length);
        foreach (int id in ids)
        {
            string? token = IdToToken(id);
            if (token is null || (skipSpecialTokens && _added.IsSpecialContent(token) && keptSpecialTokens?.Contains(token) != true)) continue;
            tokens.Add(token);
        }
        string text;
        if (_parts.Decoder is null)
        {
            text = string.Join(' ', tokens);
        }
        else
        {
            _parts.Decoder.DecodeChain(tokens);
            text = string.Concat(tokens);
        }
        return _parts.CleanUpTokenizationSpaces ? CleanUpTokenization(text) : text;
    }

    /// <summary>A streaming decoder that returns only text that later ids cannot change (special tokens as <see cref="Decode"/> treats them).</summary>
    public IncrementalDecoder CreateIncrementalDecoder(bool skipSpecialTokens, IReadOnlyCollection<string>? keptSpecialTokens = null) =>
        new(this, skipSpecialTokens, keptSpecialTokens);

    /// <summary>The id of a token string (added tokens first, then the model vocabulary).</summary>
    public int? TokenToId(string token) => _added.IdOf(token) ?? (_parts.Model.Vocabulary.TryGetId(token, out int id) ? id : null);

    /// <summary>The token string of an id, or null when the id is not in the vocabulary.</summary>
    public string? IdToToken(int id) => _added.DecodeText(id) ?? _parts.Model.Vocabulary.Token(id);

    /// <summary>Whether an id is a special added token.</summary>
    public bool IsSpecialToken(int id) => _specialIds.Contains(id);

    /// <summary>transformers' clean_up_tokenization: removes the space before punctuation and contractions.</summary>
    internal static string CleanUpTokenization(string text) => text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    private void TokenizePiece(TextPiece piece, List<TextPiece> pieces, List<int> ids)
    {
        if (_parts.PreTokenizer is null)
        {
            _parts.Model.Tokenize(piece.Span, ids);
            return;
        }
        pieces.Clear();
        _parts.PreTokenizer.PreTokenize(piece, pieces);
        foreach (var p in pieces) _parts.Model.Tokenize(p.Span, ids);
    }
}
