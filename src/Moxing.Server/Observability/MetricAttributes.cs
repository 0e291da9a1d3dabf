using System.Globalization;

namespace Moxing.Server.Observability;

/// <summary>
/// The OpenTelemetry attributes of a metric series: each Prometheus label under its semantic-convention name where one exists
/// (<c>model_name</c> → <c>gen_ai.request.model</c>, <c>handler</c> → <c>http.route</c>, …), then the family's fixed attributes.
/// </summary>
public static class MetricAttributes
{
    /// <summary>The attributes of the series <paramref name="labelValues"/> of labels <paramref name="labelNames"/>, then <paramref name="fixedAttributes"/>.</summary>
    public static KeyValuePair<string, object?>[] Of(ReadOnlySpan<string> labelNames, ReadOnlySpan<string> labelValues,
        ReadOnlySpan<KeyValuePair<string, object?>> fixedAttributes = default)
    {
        if (labelNames.Length != labelValues.Length) throw new ArgumentException($"{labelNames.Length} label names but {labelValues.Length} values");
        var attributes = new KeyValuePair<string, object?>[labelNames.Length + fixedAttributes.Length];
        for (var i = 0; i < labelNames.Length; i++) attributes[i] = Attribute(labelNames[i], labelValues[i]);
        fixedAttributes.CopyTo(attributes.AsSpan(labelNames.Length));
        return attributes;
    }

    private static KeyValuePair<string, object?> Attribute(string label, string value) => label switch
    {
        "model_name" => new("gen_ai.request.model", value),
        "finished_reason" => new("gen_ai.response.finish_reasons", value),
        "handler" => new("http.route", value),
        "method" => new("http.request.method", value),
        // The convention's status code is an integer.
        "status" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var code) => new("http.response.status_code", code),
        _ => new(label, value),
    };
}
