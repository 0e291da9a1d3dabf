namespace Moxing.Server.Embeddings;

/// <summary>One text to embed, given as text or as token ids.</summary>
/// <param name="Text">The text (null when ids are given).</param>
/// <param name="Ids">Token ids (null when text is given).</param>
public readonly record struct EmbeddingInput(string? Text, int[]? Ids);

/// <summary>Embeddings of a batch of inputs and the tokens they took.</summary>
/// <param name="Vectors">One unit-length vector per input, in order.</param>
/// <param name="PromptTokens">Tokens over all inputs.</param>
public sealed record EmbeddingBatch(float[][] Vectors, int PromptTokens);
