namespace Moxing.Text.Tokenization;

/// <summary>
/// A token matched in the input text before the model runs (Hugging Face "added token"): special tokens
/// such as &lt;|im_start|&gt; and user-defined tokens.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Content">The text the token stands for.</param>
/// <param name="Special">Whether the token is special (dropped by Decode with skipSpecialTokens).</param>
/// <param name="SingleWord">Matches only when not inside a word.</param>
/// <param name="LStrip">Swallows the whitespace on its left.</param>
/// <param name="RStrip">Swallows the whitespace on its right.</param>
/// <param name="Normalized">Matched on the normalized text rather than the raw text.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool SingleWord = false, bool LStrip = false,
    bool RStrip = false, bool Normalized = false);
