namespace Moxing.Inference.Evaluation;

/// <summary>How a model's next-token distributions compare with a reference model's over the same scored tokens.</summary>
/// <param name="MeanKl">Mean KL(reference ‖ model) in nats per token.</param>
/// <param name="P99Kl">99th percentile of the per-token KL divergence.</param>
/// <param name="MaxKl">Largest per-token KL divergence.</param>
/// <param name="Top1Agreement">Fraction of tokens where both models' most likely token is the same.</param>
public sealed record DivergenceScore(double MeanKl, double P99Kl, double MaxKl, double Top1Agreement);

/// <summary>Perplexity over a text as llama-perplexity computes it, and optionally the divergence from a reference model.</summary>
/// <param name="Perplexity">exp of the mean negative log-likelihood of the scored tokens.</param>
/// <param name="StandardError">The perplexity's standard error (llama-perplexity's ±, from the spread of per-token log-likelihoods).</param>
/// <param name="Chunks">Chunks of <paramref name="Context"/> tokens evaluated.</param>
/// <param name="Context">Tokens per chunk.</param>
/// <param name="ScoredTokens">Tokens whose likelihood was scored (the second half of each chunk).</param>
/// <param name="ReferencePerplexity">The reference model's perplexity on the same tokens, when there is one.</param>
/// <param name="Divergence">The comparison with the reference model, when there is one.</param>
public sealed record TextScore(double Perplexity, double StandardError, int Chunks, int Context, long ScoredTokens,
    double? ReferencePerplexity, DivergenceScore? Divergence);
