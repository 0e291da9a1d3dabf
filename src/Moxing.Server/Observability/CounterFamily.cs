using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Moxing.Server.Observability;

/// <summary>A Prometheus counter with labels: one monotonically increasing count per label set.</summary>
/// <param name="name">Metric name (ends in _total by convention).</param>
/// <param name="help">One line saying what it counts.</param>
/// <param name="labelNames">The labels every series carries.</param>
public sealed class CounterFamily(string name, string help, params string[] labelNames)
{
    private readonly ConcurrentDictionary<string, StrongBox<long>> _series = new(StringComparer.Ordinal);

    /// <summary>The metric name.</summary>
    public string Name { get; } = name;

    /// <summary>Adds <paramref name="amount"/> (≥ 0) to the series of <paramref name="labelValues"/>.</summary>
    public void Add(long amount, params string[] labelValues)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var box = _series.GetOrAdd(PrometheusTextWriter.Labels(labelNames, labelValues), _ => new StrongBox<long>());
        Interlocked.Add(ref box.Value, amount);
    }

    /// <summary>The current count of <paramref name="labelValues"/> (0 when never added to).</summary>
    public long Value(params string[] labelValues) =>
        _series.TryGetValue(PrometheusTextWriter.Labels(labelNames, labelValues), out var box) ? Interlocked.Read(ref box.Value) : 0;

    /// <summary>Writes the family, series in label order.</summary>
    public void Write(PrometheusTextWriter w)
    {
        w.Family(Name, "counter", help);
        foreach (var (labels, box) in _series.OrderBy(s => s.Key, StringComparer.Ordinal)) w.Sample(Name, labels, Interlocked.Read(ref box.Value));
    }
}
