using System.Text.Json;

namespace Moxing.Cli.Benchmarks;

/// <summary>Repeated measurements of one quantity (e.g. tokens/s) with their mean, median and sample standard deviation.</summary>
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

    /// <summary>The middle value (the mean of the two middle values for an even count), robust to a run slowed by other load; 0 for none.</summary>
    public double Median
    {
        get
        {
            if (Values.Count == 0) return 0;
            var sorted = Values.Order().ToArray();
            var middle = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        }
    }

    /// <summary>Writes the property <paramref name="name"/>: {"mean", "median", "sd", "samples": [...]}.</summary>
    public void WriteJson(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteNumber("mean", Mean);
        w.WriteNumber("median", Median);
        w.WriteNumber("sd", StandardDeviation);
        w.WriteStartArray("samples");
        foreach (var v in Values) w.WriteNumberValue(v);
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
