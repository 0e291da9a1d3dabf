using Moxing.Text.Tokenization.Decoders;
using Moxing.Text.Tokenization.Models;
using Moxing.Text.Tokenization.Patterns;
using Moxing.Text.Tokenization.PostProcessors;
using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>
/// transformers 5 rebuilds parts of some tokenizers from their class named in tokenizer_config.json instead
/// of taking them from tokenizer.json; this applies the same rebuild so encodings match AutoTokenizer.
/// </summary>
internal static class TransformersTokenizerClass
{
    /// <summary>The parts as transformers' tokenizer class would set them up.</summary>
    public static TokenizerParts Apply(TokenizerParts parts, TokenizerConfig config)
    {
        // Only SentencePiece conversions (byte-fallback BPE) are rebuilt; byte-level BPE files that name this class keep their pipeline.
        if (config.TokenizerClass is "LlamaTokenizer" or "LlamaTokenizerFast" && parts.Model is BpeModel { Options.ByteFallback: true })
        {
            return Llama(parts, config);
        }
        return parts;
    }

    // LlamaTokenizer: no normalizer, an unsplit metaspace, the SentencePiece decoder chain and BOS/EOS from add_bos/eos_token.
    private static TokenizerParts Llama(TokenizerParts parts, TokenizerConfig config)
    {
        bool addPrefixSpace = config.AddPrefixSpace ?? true;
        var scheme = !addPrefixSpace ? PrependScheme.Never : config.Legacy ?? false ? PrependScheme.Always : PrependScheme.First;
        var decoders = new List<ITokenDecoder>
        {
            new ReplaceDecoder(new LiteralPattern("\u2581"), " "), new ByteFallbackDecoder(), new FuseDecoder(),
        };
        if (addPrefixSpace) decoders.Add(new StripDecoder(" ", 1, 0));
        var prefix = new List<int>();
        var suffix = new List<int>();
        if ((config.AddBosToken ?? true) && parts.SpecialIds.Bos is int bos) prefix.Add(bos);
        if ((config.AddEosToken ?? false) && parts.SpecialIds.Eos is int eos) suffix.Add(eos);
        return parts with
        {
            Normalizer = null,
            PreTokenizer = new MetaspacePreTokenizer('\u2581', scheme, split: false),
            Decoder = new SequenceDecoder(decoders),
            // LlamaTokenizerFast.update_post_processor: the pair is both sequences wrapped alike, the second of type 1
            PostProcessor = new WrappingPostProcessor(prefix, suffix, [TemplatePiece.Special(prefix, 0), TemplatePiece.Text(0, 0), TemplatePiece.Special(suffix, 0),
                TemplatePiece.Special(prefix, 1), TemplatePiece.Text(1, 1), TemplatePiece.Special(suffix, 1)]),
        };
    }
}
