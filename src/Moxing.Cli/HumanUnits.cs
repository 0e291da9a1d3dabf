using System.Globalization;

namespace Moxing.Cli;

/// <summary>Counts and sizes as people read them (494.03 M, 1.23 B, 391.90 MiB).</summary>
public static class HumanUnits
{
    /// <summary>A parameter or token count with K/M/B suffix.</summary>
    public static string Count(long n) => n switch
    {
        >= 1_000_000_000 => string.Format(CultureInfo.InvariantCulture, "{0:F2} B", n / 1e9),
        >= 1_000_000 => string.Format(CultureInfo.InvariantCulture, "{0:F2} M", n / 1e6),
        >= 1_000 => string.Format(CultureInfo.InvariantCulture, "{0:F1} K", n / 1e3),
        _ => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A byte size in MiB or GiB.</summary>
    public static string Bytes(long bytes) => bytes >= 1L << 30
        ? string.Format(CultureInfo.InvariantCulture, "{0:F2} GiB", bytes / (double)(1L << 30))
        : string.Format(CultureInfo.InvariantCulture, "{0:F2} MiB", bytes / (double)(1 << 20));

    /// <summary>A time span in its largest whole unit: "1 second", "5 minutes", "2 hours", "3 days".</summary>
    public static string Duration(TimeSpan span)
    {
        var (n, unit) = span.TotalMinutes < 1 ? (span.TotalSeconds, "second")
            : span.TotalHours < 1 ? (span.TotalMinutes, "minute")
            : span.TotalDays < 1 ? (span.TotalHours, "hour")
            : (span.TotalDays, "day");
        var whole = (long)n;
        return string.Create(CultureInfo.InvariantCulture, $"{whole} {unit}{(whole == 1 ? "" : "s")}");
    }
}
