using System.Diagnostics.Metrics;

namespace Moxing.Server.Observability;

/// <summary>One sample of a gauge: its label values and its value now.</summary>
/// <param name="LabelValues">Values of the family's labels, in order.</param>
/// <param name="Value">The value.</param>
public readonly record struct GaugeSample(string[] LabelValues, double Value);

/// <summary>
/// A gauge with labels whose samples are read when metrics are collected, by a Prometheus scrape and by an OpenTelemetry
/// observable gauge alike, so both report the same state.
/// </summary>
public sealed class GaugeFamily
{
    private readonly string _help;
    private readonly string[] _labelNames;
    private readonly Func<IEnumerable<GaugeSample>> _read;

    /// <summary>
    /// A family called <paramref name="name"/> in Prometheus and <paramref name="instrument"/> (in <paramref name="unit"/>) on
    /// <paramref name="meter"/>, whose samples <paramref name="read"/> returns.
    /// </summary>
    public GaugeFamily(Meter meter, string name, string instrument, string unit, string help, string[] labelNames, Func<IEnumerable<GaugeSample>> read)
    {
        Name = name;
        _help = help;
        _labelNames = labelNames;
        _read = read;
        meter.CreateObservableGauge(instrument, () => _read().Select(s => new Measurement<double>(s.Value, MetricAttributes.Of(_labelNames, s.LabelValues))),
            unit, help);
    }

    /// <summary>The metric name.</summary>
    public string Name { get; }

    /// <summary>Writes the family with the samples read now.</summary>
    public void Write(PrometheusTextWriter w)
    {
        w.Family(Name, "gauge", _help);
        foreach (var s in _read()) w.Sample(Name, PrometheusTextWriter.Labels(_labelNames, s.LabelValues), s.Value);
    }
}
