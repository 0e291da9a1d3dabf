namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>Nearest-rank percentiles of a list of measurements.</summary>
internal static class Percentiles
{
    /// <summary>The smallest value with at least <paramref name="percent"/>% of the values at or below it; NaN for none.</summary>
    public static double Of(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0) return double.NaN;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
