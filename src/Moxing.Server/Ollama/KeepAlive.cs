using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Server.Http;

namespace Moxing.Server.Ollama;

/// <summary>Ollama's keep_alive: seconds as a number, or a Go duration string ("5m", "1h30m", "-1"); negative keeps the model forever.</summary>
public static class KeepAlive
{
    /// <summary>The keep-alive in <paramref name="node"/>, or null when absent.</summary>
    public static TimeSpan? Parse(JsonNode? node)
    {
        if (node is null) return null;
        if (JsonValues.TryGetNumber(node, out var seconds)) return FromSeconds(seconds);
        if (node is JsonValue s && s.GetValueKind() == JsonValueKind.String && TryParseDuration(s.GetValue<string>(), out var span)) return span;
        throw ApiException.BadParameter("keep_alive", "'keep_alive' must be a number of seconds or a duration such as \"5m\", \"1h\" or \"-1\"");
    }

    private static TimeSpan FromSeconds(double seconds) => seconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(Math.Min(seconds, 1e9));

    /// <summary>Parses a Go duration ("5m", "1h30m", "300ms") or a bare number of seconds; negative becomes infinite.</summary>
    public static bool TryParseDuration(string text, out TimeSpan span)
    {
        span = TimeSpan.Zero;
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var bare))
        {
            if (double.IsNaN(bare)) return false;
            span = FromSeconds(bare);
            return true;
        }
        var negative = text.StartsWith('-');
        var i = negative || text.StartsWith('+') ? 1 : 0;
        double total = 0;
        if (i >= text.Length) return false;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (!double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)) return false;
            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]) || i < text.Length && text[i] == 'µ') i++;
            double? seconds = text[unitStart..i] switch
            {
                "ns" => 1e-9,
                "us" or "µs" => 1e-6,
                "ms" => 1e-3,
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => null,
            };
            if (seconds is null) return false;
            total += amount * seconds.Value;
        }
        span = FromSeconds(negative ? -total : total);
        return true;
    }
}
