namespace Moxing.Training.Metrics;

/// <summary>Perplexity of a language model: e to the mean negative log-likelihood per token.</summary>
public static class Perplexity
{
    /// <summary>exp(<paramref name="meanNegativeLogLikelihood"/>) (natural log, per token).</summary>
    public static double FromLoss(double meanNegativeLogLikelihood) => Math.Exp(meanNegativeLogLikelihood);
}
