using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Moxing.Core;

namespace Moxing.Cli.Commands;

/// <summary>`moxing ps`: the models a running server (Moxing or Ollama) holds in memory, from its /api/ps and /api/tags.</summary>
public sealed class PsCommand : ICommand
{
    /// <summary>Where `moxing serve` listens by default.</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <inheritdoc />
    public string Name => "ps";

    /// <inheritdoc />
    public string Summary => "models loaded in a running server: name, size, memory, expires (--json)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing ps [--url URL] [--api-key KEY] [--json]
          --url         the server (default {DefaultUrl})
          --api-key     sent as Authorization: Bearer (default: MOXING_API_KEY)
          --json        JSON output
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var url = args.Option("url") ?? DefaultUrl;
        var apiKey = args.Option("api-key") ?? Environment.GetEnvironmentVariable("MOXING_API_KEY");
        var json = args.Flag("json");
        args.RejectUnknown();
        if (!Uri.TryCreate(url.TrimEnd('/') + "/", UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
            throw new UsageException($"'{url}' is not an http(s) URL");
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(apiKey)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        var running = Models(Get(http, "api/ps", url, context.Cancellation));
        // /api/ps reports memory as size; the file size comes from /api/tags.
        var files = Models(Get(http, "api/tags", url, context.Cancellation))
            .GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.First().Size, StringComparer.Ordinal);
        var rows = running.Select(m => new Resident(m.Name, m.Digest, files.GetValueOrDefault(m.Name), m.Size, m.Expires, m.Context)).ToList();
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartArray();
                foreach (var r in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("name", r.Name);
                    w.WriteString("digest", r.Digest);
                    if (r.FileSize is { } size) w.WriteNumber("size", size);
                    w.WriteNumber("memory", r.Memory);
                    if (r.Expires is { } expires) w.WriteString("expires_at", expires);
                    if (r.Context is { } ctx) w.WriteNumber("context", ctx);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }, indented: true);
            return 0;
        }
        if (rows.Count == 0)
        {
            context.Out.WriteLine($"no models are loaded in {url}");
            return 0;
        }
        var now = DateTimeOffset.UtcNow;
        var cells = rows.Select(r => new[]
        {
            r.Name, r.Digest.Length >= 12 ? r.Digest[..12] : r.Digest, r.FileSize is { } s ? HumanUnits.Bytes(s) : "-", HumanUnits.Bytes(r.Memory),
            r.Context?.ToString(CultureInfo.InvariantCulture) ?? "-", Until(r.Expires, now),
        }).ToList();
        TextTable.Write(context.Out, ["NAME", "ID", "SIZE", "MEMORY", "CONTEXT", "UNTIL"], cells);
        return 0;
    }

    /// <summary>When a model unloads, as people read it: "4 minutes from now", "forever", "now".</summary>
    public static string Until(DateTimeOffset? expires, DateTimeOffset now)
    {
        if (expires is not { } at || at - now > TimeSpan.FromDays(365 * 100)) return "forever";
        var left = at - now;
        return left.TotalSeconds < 1 ? "now" : HumanUnits.Duration(left) + " from now";
    }

    private sealed record Resident(string Name, string Digest, long? FileSize, long Memory, DateTimeOffset? Expires, int? Context);

    private sealed record Listed(string Name, string Digest, long Size, DateTimeOffset? Expires, int? Context);

    private static JsonNode Get(HttpClient http, string path, string url, CancellationToken cancellation)
    {
        HttpResponseMessage response;
        try
        {
            response = http.GetAsync(path, cancellation).GetAwaiter().GetResult();
        }
        catch (HttpRequestException e)
        {
            throw new MoxingException($"no server answers at {url} ({e.Message}); start one with `moxing serve`");
        }
        using (response)
        {
            var text = response.Content.ReadAsStringAsync(cancellation).GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                throw new MoxingException($"{url}/{path} answered {(int)response.StatusCode}: {ErrorMessage(text)}");
            try
            {
                return JsonNode.Parse(text) ?? throw new MoxingException($"{url}/{path} answered null, expected {{\"models\": […]}}");
            }
            catch (System.Text.Json.JsonException)
            {
                throw new MoxingException($"{url}/{path} did not answer JSON; is it a Moxing or Ollama server?");
            }
        }
    }

    private static string ErrorMessage(string text)
    {
        try
        {
            var error = JsonNode.Parse(text)?["error"];
            return (error is JsonObject o ? o["message"]?.ToString() : error?.ToString()) ?? text;
        }
        catch (System.Text.Json.JsonException)
        {
            return text;
        }
    }

    // {"models": [{"name", "digest", "size", "expires_at"?, "context_length"?}, …]}; anything else is the server's fault, said plainly.
    private static List<Listed> Models(JsonNode body)
    {
        if (body["models"] is not JsonArray models) throw new MoxingException("the server's answer has no 'models' array");
        var list = new List<Listed>(models.Count);
        foreach (var m in models)
        {
            if (m?["name"] is not JsonValue n || !n.TryGetValue<string>(out var name)) continue;
            var expires = m["expires_at"] is JsonValue x && x.TryGetValue<string>(out var e) && DateTimeOffset.TryParse(e, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                ? at : (DateTimeOffset?)null;
            var size = m["size"] is JsonValue s && s.TryGetValue<long>(out var bytes) ? bytes : 0;
            var context = m["context_length"] is JsonValue c && c.TryGetValue<int>(out var tokens) ? tokens : (int?)null;
            list.Add(new Listed(name, m["digest"]?.ToString() ?? "", size, expires, context));
        }
        return list;
    }
}
