namespace Moxing.Training.Metrics;

/// <summary>Coefficient of determination (R²), mean squared error and mean absolute error of predictions.</summary>
public sealed class RegressionReport
{
    /// <summary>Scores <paramref name="predicted"/> against <paramref name="actual"/>.</summary>
    public RegressionReport(ReadOnlySpan<float> predicted, ReadOnlySpan<float> actual)
    {
        if (predicted.Length != actual.Length) throw new ArgumentException($"{predicted.Length} predictions for {actual.Length} targets");
        if (actual.Length == 0) throw new ArgumentException("no targets");
        double mean = 0;
        foreach (var a in actual) mean += a;
        mean /= actual.Length;
        double residual = 0, total = 0, absolute = 0;
        for (var i = 0; i < actual.Length; i++)
        {
            var e = (double)predicted[i] - actual[i];
            residual += e * e;
            absolute += Math.Abs(e);
            total += (actual[i] - mean) * (actual[i] - mean);
        }
        Count = actual.Length;
        MeanSquaredError = residual / Count;
        MeanAbsoluteError = absolute / Count;
        // As scikit-learn: a constant target gives R² = 1 for a perfect fit, 0 otherwise.
        R2 = total > 0 ? 1 - residual / total : residual == 0 ? 1 : 0;
    }

    /// <summary>Number of predictions.</summary>
    public int Count { get; }

    /// <summary>1 − residual sum of squares / total sum of squares.</summary>
    public double R2 { get; }

    /// <summary>Mean of squared errors.</summary>
    public double MeanSquaredError { get; }

    /// <summary>Mean of absolute errors.</summary>
    public double MeanAbsoluteError { get; }
}
