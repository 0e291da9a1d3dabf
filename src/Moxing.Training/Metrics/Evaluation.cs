namespace Moxing.Training.Metrics;

/// <summary>A model's scores on one split: the mean loss and the task's report.</summary>
public sealed record Evaluation(string Split, double Loss, int Examples, ClassificationReport? Classification, RegressionReport? Regression, double? Perplexity)
{
    /// <summary>The headline number: accuracy, R² or perplexity.</summary>
    public double? Metric => Classification?.Accuracy ?? Regression?.R2 ?? Perplexity;
}
