using System.Globalization;
using System.Net.Http.Headers;

namespace Moxing.Cli.Benchmarks.Serving;

/// <summary>Reads a server's resident memory from its Prometheus <c>/metrics</c> (<c>process_resident_memory_bytes</c>).</summary>
internal static class ServerMemory
{
    private const string Sample = "process_resident_memory_bytes";

    /// <summary>The server's resident bytes now; null when it has no /metrics or does not report them.</summary>
    public static async Task<long?> ReadAsync(HttpClient http, Uri baseUrl, string? apiKey, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(baseUrl, "metrics"));
        if (apiKey != null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        try
        {
            using var response = await http.SendAsync(request, cancellation);
            if (!response.IsSuccessStatusCode) return null;
            foreach (var line in (await response.Content.ReadAsStringAsync(cancellation)).Split('\n'))
                if (line.StartsWith(Sample + " ", StringComparison.Ordinal)
                    && double.TryParse(line.AsSpan(Sample.Length + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var bytes))
                    return (long)bytes;
            return null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
