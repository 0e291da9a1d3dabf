namespace Moxing.Text.Tokenization.Models;

/// <summary>The switches of a BPE model (tokenizer.json model fields).</summary>
/// <param name="UnkToken">Token for characters outside the vocabulary, or null to drop them.</param>
/// <param name="ContinuingSubwordPrefix">Prefix of every symbol after the first of a word.</param>
/// <param name="EndOfWordSuffix">Suffix of the last symbol of a word.</param>
/// <param name="FuseUnk">Consecutive unknown characters become one unk token.</param>
/// <param name="ByteFallback">Unknown characters become &lt;0xXX&gt; byte tokens.</param>
/// <param name="IgnoreMerges">A word that is itself a token is emitted whole (Llama 3).</param>
/// <param name="WholeNewlineRuns">A word of newlines only that is itself a token is emitted whole (llama.cpp's Gemma 4).</param>
internal sealed record BpeOptions(string? UnkToken = null, string? ContinuingSubwordPrefix = null,
    string? EndOfWordSuffix = null, bool FuseUnk = false, bool ByteFallback = false, bool IgnoreMerges = false,
    bool WholeNewlineRuns = false);
