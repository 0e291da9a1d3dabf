using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Moxing.Server.Observability;

/// <summary>
/// A histogram with labels: per label set, counts of observations at or under each bucket bound, their sum and count, written in
/// Prometheus's format; each observation is recorded on an OpenTelemetry histogram too, by the same call.
/// </summary>
public sealed class HistogramFamily
{
    private readonly ConcurrentDictionary<string, HistogramSeries> _series = new(StringComparer.Ordinal);
    private readonly string _help;
    private readonly string[] _labelNames;
    private readonly string[] _bounds;
    private readonly Histogram<double> _instrument;
    private readonly KeyValuePair<string, object?>[] _attributes;

    /// <summary>
    /// A family called <paramref name="name"/> whose buckets have the upper bounds <paramref name="buckets"/> (ascending; +Inf is
    /// implied), recorded on <paramref name="instrument"/> with each series' labels and <paramref name="attributes"/> as attributes.
    /// </summary>
    public HistogramFamily(string name, string help, double[] buckets, Histogram<double> instrument, string[] labelNames,
        params KeyValuePair<string, object?>[] attributes)
    {
        for (var i = 1; i < buckets.Length; i++)
            if (!(buckets[i] > buckets[i - 1])) throw new ArgumentException($"histogram {name}: bucket bounds must ascend strictly");
        Name = name;
        _help = help;
        Buckets = buckets;
        _labelNames = labelNames;
        _bounds = [.. buckets.Select(PrometheusTextWriter.Format), "+Inf"];
        _instrument = instrument;
        _attributes = attributes;
    }

    /// <summary>The metric name.</summary>
    public string Name { get; }

    /// <summary>Upper bounds of the buckets, without +Inf.</summary>
    public double[] Buckets { get; }

    /// <summary>The series of <paramref name="labelValues"/>; keep it to observe many values without looking it up again.</summary>
    public HistogramSeries Series(params string[] labelValues) =>
        _series.GetOrAdd(PrometheusTextWriter.Labels(_labelNames, labelValues),
            static (_, state) => new HistogramSeries(state.Family.Buckets, state.Family._instrument, MetricAttributes.Of(state.Family._labelNames, state.Values, state.Family._attributes)),
            (Family: this, Values: labelValues));

    /// <summary>Writes the family: cumulative <c>_bucket</c> samples, <c>_sum</c> and <c>_count</c> per series, series in label order.</summary>
    public void Write(PrometheusTextWriter w)
    {
        w.Family(Name, "histogram", _help);
        var counts = new long[Buckets.Length + 1];
        foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var sum = series.Snapshot(counts);
            long cumulative = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                cumulative += counts[i];
                w.Sample(Name + "_bucket", PrometheusTextWriter.WithLabel(labels, "le", _bounds[i]), cumulative);
            }
            w.Sample(Name + "_sum", labels, sum);
            w.Sample(Name + "_count", labels, cumulative);
        }
    }

    /// <summary>The bucket bounds as written (for tests and docs).</summary>
    public override string ToString() => Name + " [" + string.Join(", ", Buckets.Select(b => b.ToString(CultureInfo.InvariantCulture))) + "]";
}

/// <summary>One label set of a histogram; observing is lock-free and allocation-free.</summary>
public sealed class HistogramSeries
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private readonly Histogram<double> _instrument;
    private readonly KeyValuePair<string, object?>[] _attributes;
    private double _sum;

    internal HistogramSeries(double[] bounds, Histogram<double> instrument, KeyValuePair<string, object?>[] attributes)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
        _instrument = instrument;
        _attributes = attributes;
    }

    /// <summary>Counts <paramref name="value"/> in the first bucket whose bound is ≥ it (+Inf past the last), and records it on the OpenTelemetry histogram.</summary>
    public void Observe(double value)
    {
        _instrument.Record(value, _attributes);
        var i = Array.BinarySearch(_bounds, value);
        if (i < 0) i = ~i;
        Interlocked.Increment(ref _counts[i]);
        double seen, next;
        do
        {
            seen = Volatile.Read(ref _sum);
            next = seen + value;
        } while (Interlocked.CompareExchange(ref _sum, next, seen) != seen);
    }

    /// <summary>Observations so far.</summary>
    public long Count
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++) total += Interlocked.Read(ref _counts[i]);
            return total;
        }
    }

    /// <summary>Copies the per-bucket (not cumulative) counts into <paramref name="counts"/> and returns the sum.</summary>
    internal double Snapshot(long[] counts)
    {
        for (var i = 0; i < _counts.Length; i++) counts[i] = Interlocked.Read(ref _counts[i]);
        return Volatile.Read(ref _sum);
    }
}
