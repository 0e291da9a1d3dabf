using System.Globalization;

namespace Moxing.Server.Data;

/// <summary>Times as the database keeps them: UTC, whole microseconds (PostgreSQL's precision, so every backend reads back the same value).</summary>
public static class StoredTime
{
    /// <summary><paramref name="t"/> in UTC, cut to whole microseconds.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % 10, TimeSpan.Zero);

    /// <summary>Fixed-width UTC ISO 8601, so text order is time order (SQLite's column form, and the CSV form).</summary>
    public static string Text(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads a time written by <see cref="Text"/>.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUniversalTime();
}
