namespace Moxing.Cli.Benchmarks;

/// <summary>Repeated measurements of one quantity (e.g. tokens/s) with their mean and sample standard deviation.</summary>
public sealed record Samples(IReadOnlyList<double> Values)
{
    /// <summary>The arithmetic mean.</summary>
    public double Mean
    {
        get
        {
            var sum = 0.0;
            foreach (var v in Values) sum += v;
            return Values.Count == 0 ? 0 : sum / Values.Count;
        }
    }

    /// <summary>The sample standard deviation (n − 1), as llama-bench reports it; 0 for fewer than two values.</summary>
    public double StandardDeviation
    {
        get
        {
            if (Values.Count < 2) return 0;
            var mean = Mean;
            var sum = 0.0;
            foreach (var v in Values) sum += (v - mean) * (v - mean);
            return Math.Sqrt(sum / (Values.Count - 1));
        }
    }
}
