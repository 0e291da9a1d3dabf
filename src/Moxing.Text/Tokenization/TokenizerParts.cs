using Moxing.Text.Tokenization.Decoders;
using Moxing.Text.Tokenization.Models;
using Moxing.Text.Tokenization.Normalizers;
using Moxing.Text.Tokenization.PostProcessors;
using Moxing.Text.Tokenization.PreTokenizers;

namespace Moxing.Text.Tokenization;

/// <summary>The pipeline stages a tokenizer is built from (from tokenizer.json or GGUF metadata).</summary>
internal sealed record TokenizerParts(
    ITokenModel Model,
    INormalizer? Normalizer,
    IPreTokenizer? PreTokenizer,
    WrappingPostProcessor PostProcessor,
    ITokenDecoder? Decoder,
    IReadOnlyList<AddedToken> AddedTokens,
    SpecialTokenIds SpecialIds,
    bool CleanUpTokenizationSpaces = false);

/// <summary>The ids of the well-known special tokens, where the source says them.</summary>
internal sealed record SpecialTokenIds(int? Bos = null, int? Eos = null, int? Unk = null, int? Pad = null);
