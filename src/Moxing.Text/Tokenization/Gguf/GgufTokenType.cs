namespace Moxing.Text.Tokenization.Gguf;

/// <summary>The values of GGUF's <c>tokenizer.ggml.token_type</c> (llama.cpp's <c>llama_token_type</c>).</summary>
internal static class GgufTokenType
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;
}
