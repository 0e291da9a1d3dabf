using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Moxing.Server.Observability;

/// <summary>
/// A counter with labels: one monotonically increasing count per label set, written in Prometheus's format and read by an
/// OpenTelemetry observable counter on the same counts.
/// </summary>
public sealed class CounterFamily
{
    private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
    private readonly string _help;
    private readonly string[] _labelNames;

    /// <summary>
    /// A family called <paramref name="name"/> in Prometheus (ends in _total by convention) and <paramref name="instrument"/> (in
    /// <paramref name="unit"/>) on <paramref name="meter"/>; <paramref name="help"/> says in one line what it counts.
    /// </summary>
    public CounterFamily(Meter meter, string name, string instrument, string unit, string help, params string[] labelNames)
    {
        Name = name;
        _help = help;
        _labelNames = labelNames;
        meter.CreateObservableCounter(instrument, Observe, unit, help);
    }

    /// <summary>The metric name.</summary>
    public string Name { get; }

    /// <summary>Adds <paramref name="amount"/> (≥ 0) to the series of <paramref name="labelValues"/>.</summary>
    public void Add(long amount, params string[] labelValues)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var series = _series.GetOrAdd(PrometheusTextWriter.Labels(_labelNames, labelValues),
            static (_, state) => new Series(MetricAttributes.Of(state.Names, state.Values)), (Names: _labelNames, Values: labelValues));
        Interlocked.Add(ref series.Count, amount);
    }

    /// <summary>The current count of <paramref name="labelValues"/> (0 when never added to).</summary>
    public long Value(params string[] labelValues) =>
        _series.TryGetValue(PrometheusTextWriter.Labels(_labelNames, labelValues), out var series) ? Interlocked.Read(ref series.Count) : 0;

    /// <summary>Writes the family, series in label order.</summary>
    public void Write(PrometheusTextWriter w)
    {
        w.Family(Name, "counter", _help);
        foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal)) w.Sample(Name, labels, Interlocked.Read(ref series.Count));
    }

    private IEnumerable<Measurement<long>> Observe() => _series.Values.Select(s => new Measurement<long>(Interlocked.Read(ref s.Count), s.Attributes));

    private sealed class Series(KeyValuePair<string, object?>[] attributes)
    {
        public readonly KeyValuePair<string, object?>[] Attributes = attributes;
        public long Count;
    }
}
