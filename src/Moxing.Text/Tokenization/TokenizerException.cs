namespace Moxing.Text.Tokenization;

/// <summary>A tokenizer definition (tokenizer.json, GGUF metadata) or an input that Moxing cannot use.</summary>
public sealed class TokenizerException : Moxing.Core.MoxingException
{
    /// <summary>Creates the exception with a message that names the source, the field and what was expected.</summary>
    public TokenizerException(string message) : base(message, null)
    {
    }

    /// <summary>Creates the exception wrapping the error that caused it.</summary>
    public TokenizerException(string message, Exception inner) : base(message, inner)
    {
    }
}
