using System.Globalization;

namespace Moxing.Server.Tests.Observability;

/// Reads samples out of a Prometheus text scrape.
public static class MetricsText
{
    /// The value of the sample `name{labels}`; 0 when the scrape has no such sample.
    public static double Sample(string scrape, string name, string labels = "")
    {
        var prefix = name + labels + " ";
        foreach (var line in scrape.Split('\n'))
            if (line.StartsWith(prefix, StringComparison.Ordinal))
                return double.Parse(line[prefix.Length..], NumberStyles.Float, CultureInfo.InvariantCulture);
        return 0;
    }
}
