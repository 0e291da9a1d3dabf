using System.Text;
using Moxing.Text.Tokenization.Decoders;
using Moxing.Text.Tokenization.Loading;
using Moxing.Text.Tokenization.Models;
using Moxing.Text.Tokenization.Normalizers;
using Moxing.Text.Tokenization.Patterns;
using Moxing.Text.Tokenization.PostProcessors;
using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// Builds a tokenizer from GGUF tokenizer.ggml.* metadata: "gpt2" (BPE, split regexes and byte handling chosen by
/// tokenizer.ggml.pre as llama.cpp does), "gemma4" (BPE with tokenizer.ggml.pre "gemma4" whatever it says), "llama" (SentencePiece merged by score, as llama.cpp does),
/// "bert" (WordPiece) and "t5" (Unigram). Control, user-defined and unknown tokens are matched in text as
/// added tokens; control and unknown ones are special.
/// </summary>
internal static class GgufTokenizerBuilder
{
    private const string ModelKey = "tokenizer.ggml.model";

    /// <summary>The tokenizer the metadata describes.</summary>
    public static Tokenizer Build(IReadOnlyDictionary<string, object> metadata, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var meta = new GgufMetadataReader(metadata, sourceName);
        string model = meta.String(ModelKey);
        string[] tokens = meta.Strings("tokenizer.ggml.tokens");
        int[] types = meta.OptionalInts("tokenizer.ggml.token_type") ?? [.. Enumerable.Repeat(GgufTokenType.Normal, tokens.Length)];
        if (types.Length != tokens.Length)
        {
            throw meta.Error("tokenizer.ggml.token_type", $"has {types.Length} entries for {tokens.Length} tokens");
        }
        return model switch
        {
            "gpt2" => BuildBytePairEncoding(meta, tokens, types, meta.OptionalString("tokenizer.ggml.pre") ?? "default"),
            "gemma4" => BuildBytePairEncoding(meta, tokens, types, GgufPreTokenizer.Gemma4Name),
            "llama" => BuildSentencePiece(meta, tokens, types),
            "bert" => BuildWordPiece(meta, tokens, types),
            "t5" => BuildUnigram(meta, tokens, types),
            _ => throw meta.Error(ModelKey, $"tokenizer model '{model}' is not supported (expected gpt2, gemma4, llama, bert or t5)"),
        };
    }

    private static Tokenizer BuildBytePairEncoding(GgufMetadataReader meta, string[] tokens, int[] types, string preName)
    {
        GgufPreTokenizer pre = GgufPreTokenizer.For(preName)
            ?? throw meta.Error("tokenizer.ggml.pre", $"pre-tokenizer '{preName}' is not supported");
        Vocabulary vocabulary = BuildVocabulary(tokens);
        // As llama.cpp: Kimi-K2 may come without merges (its ranks are then unused and words fall apart into byte tokens).
        string[] mergeLines = preName == "kimi-k2" ? meta.OptionalStrings("tokenizer.ggml.merges") ?? [] : meta.Strings("tokenizer.ggml.merges");
        var merges = new MergeTableBuilder(vocabulary, null, mergeLines.Length);
        for (int i = 0; i < mergeLines.Length; i++)
        {
            // As llama.cpp: the separator is the first space after the first character.
            string line = mergeLines[i];
            int space = line.Length > 1 ? line.IndexOf(' ', 1) : -1;
            string? problem = space < 0 ? $"'{line}' is not \"left right\"" : merges.TryAdd(line.AsSpan(0, space), line.AsSpan(space + 1));
            if (problem is not null) throw meta.Error("tokenizer.ggml.merges", $"entry {i}: {problem}");
        }
        var mergeMap = merges.Build();
        var bpe = new BpeModel(vocabulary, mergeMap, new BpeOptions(ByteFallback: !pre.ByteLevel, IgnoreMerges: pre.IgnoreMerges,
            WholeNewlineRuns: pre.Gemma4));

        var splits = new List<IPreTokenizer>();
        for (int i = 0; i < pre.Patterns.Length; i++)
        {
            OnigRegex regex;
            try
            {
                regex = new OnigRegex(pre.Patterns[i]);
            }
            catch (FormatException e)
            {
                throw meta.Error("tokenizer.ggml.pre", $"pattern {i} of '{preName}' cannot be used: {e.Message}");
            }
            splits.Add(new PatternSplitPreTokenizer(regex, SplitDelimiterBehavior.Isolated));
        }
        if (pre.ByteLevel) splits.Add(new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false));
        INormalizer? normalizer = pre.Nfc ? new UnicodeFormNormalizer(NormalizationForm.FormC)
            : pre.EscapeSpaces ? new ReplaceNormalizer(new LiteralPattern(" "), "\u2581") : null;
        ITokenDecoder decoder = pre.ByteLevel ? new ByteLevelDecoder()
            : new SequenceDecoder(pre.EscapeSpaces ? [new ReplaceDecoder(new LiteralPattern("\u2581"), " "), new ByteFallbackDecoder(), new FuseDecoder()]
                : [new ByteFallbackDecoder(), new FuseDecoder()]);
        return Assemble(meta, tokens, types, bpe, normalizer, new SequencePreTokenizer(splits), decoder,
            defaults: new SpecialTokenIds(), addBosDefault: pre.AddBos, addEosDefault: false, cleanUp: pre.CleanSpaces, forceBos: pre.Gemma4,
            separator: new Separator(null, AddDefault: preName is "roberta-bpe" or "jina-v1-en" or "jina-v2-code", EndsSequence: false));
    }

    private static Tokenizer BuildSentencePiece(GgufMetadataReader meta, string[] tokens, int[] types)
    {
        float[] scores = meta.OptionalFloats("tokenizer.ggml.scores") ?? throw meta.Error("tokenizer.ggml.scores", "is missing");
        if (scores.Length < tokens.Length) throw meta.Error("tokenizer.ggml.scores", $"has {scores.Length} entries for {tokens.Length} tokens");
        bool addSpacePrefix = meta.OptionalBool("tokenizer.ggml.add_space_prefix") ?? true;
        Vocabulary vocabulary = BuildVocabulary(tokens);
        int unk = meta.OptionalTokenId("tokenizer.ggml.unknown_token_id", tokens.Length) ?? 0;
        var model = new ScoreMergeModel(vocabulary, scores, unk);

        var space = new LiteralPattern(" ");
        var metaspace = new LiteralPattern("\u2581");
        INormalizer escape = new ReplaceNormalizer(space, "\u2581");
        INormalizer normalizer = addSpacePrefix ? new SequenceNormalizer([new PrependNormalizer("\u2581"), escape]) : escape;
        var decoders = new List<ITokenDecoder> { new ReplaceDecoder(metaspace, " "), new ByteFallbackDecoder(), new FuseDecoder() };
        if (addSpacePrefix) decoders.Add(new StripDecoder(" ", 1, 0));
        return Assemble(meta, tokens, types, model, normalizer, null, new SequenceDecoder(decoders),
            defaults: new SpecialTokenIds(Bos: 1, Eos: 2, Unk: 0), addBosDefault: true, addEosDefault: false, cleanUp: false);
    }

    private static Tokenizer BuildWordPiece(GgufMetadataReader meta, string[] tokens, int[] types)
    {
        // llama.cpp's converter writes word starts as "▁word" and continuations bare; Hugging Face spells them "word" and "##word".
        var restored = new string[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
        {
            string token = tokens[i];
            restored[i] = token.StartsWith('\u2581') ? token[1..]
                : token.StartsWith('[') && token.EndsWith(']') || types[i] is GgufTokenType.Control or GgufTokenType.Unknown or GgufTokenType.UserDefined ? token
                : "##" + token;
        }
        int unk = meta.OptionalTokenId("tokenizer.ggml.unknown_token_id", tokens.Length) ?? Math.Min(100, tokens.Length - 1);
        var model = new WordPieceModel(BuildVocabulary(restored), restored[unk], "##", 100);
        bool lowercase = meta.OptionalBool("tokenizer.ggml.normalizer.lowercase") ?? true;
        bool stripAccents = meta.OptionalBool("tokenizer.ggml.normalizer.strip_accents") ?? lowercase;
        var normalizer = new BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents, lowercase);
        var preTokenizer = new SequencePreTokenizer([PatternSplitPreTokenizer.WhitespaceSplit(),
            PatternSplitPreTokenizer.Punctuation(SplitDelimiterBehavior.Isolated)]);
        return Assemble(meta, restored, types, model, normalizer, preTokenizer, new WordPieceDecoder("##", true),
            defaults: new SpecialTokenIds(Bos: Math.Min(101, tokens.Length - 1), Unk: unk, Pad: 0), addBosDefault: true,
            addEosDefault: false, cleanUp: true, separator: new Separator(Math.Min(102, tokens.Length - 1), AddDefault: true, EndsSequence: true));
    }

    private static Tokenizer BuildUnigram(GgufMetadataReader meta, string[] tokens, int[] types)
    {
        float[] scores = meta.OptionalFloats("tokenizer.ggml.scores") ?? throw meta.Error("tokenizer.ggml.scores", "is missing");
        if (scores.Length < tokens.Length) throw meta.Error("tokenizer.ggml.scores", $"has {scores.Length} entries for {tokens.Length} tokens");
        int unk = meta.OptionalTokenId("tokenizer.ggml.unknown_token_id", tokens.Length) ?? Math.Min(2, tokens.Length - 1);
        var model = new UnigramModel(BuildVocabulary(tokens), [.. scores.Take(tokens.Length).Select(s => (double)s)], unk, byteFallback: false);
        var normalizers = new List<INormalizer>();
        if (meta.OptionalBytes("tokenizer.ggml.precompiled_charsmap") is { Length: > 0 } charsmap)
        {
            normalizers.Add(PrecompiledNormalizer.FromBytes(charsmap)
                ?? throw meta.Error("tokenizer.ggml.precompiled_charsmap", "is malformed (trie size does not fit)"));
        }
        if (meta.OptionalBool("tokenizer.ggml.remove_extra_whitespaces") ?? false)
        {
            normalizers.Add(new StripNormalizer(true, true));
            normalizers.Add(new ReplaceNormalizer(new OnigRegex(" {2,}"), " "));
        }
        bool addSpacePrefix = meta.OptionalBool("tokenizer.ggml.add_space_prefix") ?? true;
        var scheme = addSpacePrefix ? PrependScheme.Always : PrependScheme.Never;
        return Assemble(meta, tokens, types, model, new SequenceNormalizer(normalizers), new MetaspacePreTokenizer('\u2581', scheme, true),
            new MetaspaceDecoder('\u2581', scheme), defaults: new SpecialTokenIds(Eos: 1, Unk: unk, Pad: 0),
            addBosDefault: false, addEosDefault: true, cleanUp: false);
    }

    private static Vocabulary BuildVocabulary(string[] tokens)
    {
        var ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        // As llama.cpp: an empty token gets a placeholder name, and a repeated token maps to its last id.
        for (int i = 0; i < tokens.Length; i++) ids[tokens[i].Length == 0 ? $"[EMPTY_{i}]" : tokens[i]] = i;
        return new Vocabulary(ids);
    }

    // The separator token llama.cpp puts between the two texts of a pair (and WordPiece after every text) when add_sep_token says so.
    private readonly record struct Separator(int? DefaultId, bool AddDefault, bool EndsSequence);

    private static Tokenizer Assemble(GgufMetadataReader meta, string[] tokens, int[] types, ITokenModel model, INormalizer? normalizer,
        IPreTokenizer? preTokenizer, ITokenDecoder decoder, SpecialTokenIds defaults, bool addBosDefault, bool addEosDefault,
        bool cleanUp, Separator separator = default, bool forceBos = false)
    {
        int n = tokens.Length;
        var ids = new SpecialTokenIds(
            meta.OptionalTokenId("tokenizer.ggml.bos_token_id", n) ?? meta.OptionalTokenId("tokenizer.ggml.cls_token_id", n) ?? Valid(defaults.Bos, n),
            meta.OptionalTokenId("tokenizer.ggml.eos_token_id", n) ?? Valid(defaults.Eos, n),
            meta.OptionalTokenId("tokenizer.ggml.unknown_token_id", n) ?? Valid(defaults.Unk, n),
            meta.OptionalTokenId("tokenizer.ggml.padding_token_id", n) ?? Valid(defaults.Pad, n));
        // llama.cpp overrides a Gemma 4 GGUF's add_bos_token false.
        bool addBos = forceBos || (meta.OptionalBool("tokenizer.ggml.add_bos_token") ?? addBosDefault);
        bool addEos = meta.OptionalBool("tokenizer.ggml.add_eos_token") ?? addEosDefault;
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (addBos && ids.Bos is int bos) prefix.Add(bos);
        if (addEos && ids.Eos is int eos) suffix.Add(eos);
        bool addSep = meta.OptionalBool("tokenizer.ggml.add_sep_token") ?? separator.AddDefault;
        int? sep = addSep || separator.DefaultId != null ? meta.OptionalTokenId("tokenizer.ggml.seperator_token_id", n) ?? Valid(separator.DefaultId, n) : null;
        if (separator.EndsSequence && addSep && sep is { } end) suffix.Add(end);

        var added = new List<AddedToken>();
        for (int i = 0; i < n; i++)
        {
            if (types[i] is not (GgufTokenType.Control or GgufTokenType.UserDefined or GgufTokenType.Unknown) || tokens[i].Length == 0) continue;
            added.Add(new AddedToken(i, tokens[i], Special: types[i] != GgufTokenType.UserDefined));
        }
        return new Tokenizer(new TokenizerParts(model, normalizer, preTokenizer, new WrappingPostProcessor(prefix, suffix, Pair(meta, ids, addBos, addEos, sep, addSep)),
            decoder, added, ids, cleanUp));
    }

    // llama-server's rerank input: [bos] A [eos] [sep] B [eos], each where the vocabulary adds it (eos falling back to sep). The
    // second text is of token type 1 where the model has two token types, as BERT's pair template makes it (llama.cpp types it 0).
    private static TemplatePiece[] Pair(GgufMetadataReader meta, SpecialTokenIds ids, bool addBos, bool addEos, int? sep, bool addSep)
    {
        var second = meta.OptionalInteger("tokenizer.ggml.token_type_count") >= 2 ? 1 : 0;
        int[] bos = addBos && ids.Bos is { } b ? [b] : [], eos = addEos && (ids.Eos ?? sep) is { } e ? [e] : [];
        int[] between = addSep && sep is { } s ? [.. eos, s] : eos;
        return [TemplatePiece.Special(bos, 0), TemplatePiece.Text(0, 0), TemplatePiece.Special(between, 0), TemplatePiece.Text(1, second), TemplatePiece.Special(eos, second)];
    }

    private static int? Valid(int? id, int vocabularySize) => id is int value && value >= 0 && value < vocabularySize ? value : null;
}
