using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Server.Models;

namespace Moxing.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> from three layers, each overriding the one before: a JSON config file, <c>MOXING_*</c>
/// environment variables, and the command line. Keys: see <see cref="Keys"/>; lists (models, cors_origin) are JSON arrays in the
/// file, and separated by the path separator (models) or commas (cors_origin) elsewhere.
/// </summary>
public static class ServerSettings
{
    /// <summary>The keys a config file, <c>MOXING_KEY</c> variable or <c>--key</c> option may set.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "host", "port", "models", "models_dir", "max_memory", "keep_alive", "context", "parallel",
        "database", "request_timeout", "shutdown_grace", "max_body", "max_header", "tls_cert", "tls_key", "cors_origin", "log_format", "otlp",
        "low_memory", "kv_type", "speculative_tokens", "mmproj",
    ];

    // Keys that hold lists, with the separator of their one-string form.
    private static readonly Dictionary<string, char> ListKeys = new(StringComparer.Ordinal) { ["models"] = Path.PathSeparator, ["cors_origin"] = ',' };

    /// <summary>
    /// Merges the layers: <paramref name="configFile"/> (JSON object; null: MOXING_CONFIG if set), then <paramref name="environment"/>,
    /// then <paramref name="commandLine"/> (key → value; lists as one string, see the type's summary).
    /// </summary>
    public static ServerOptions Resolve(string? configFile, IDictionary environment, IReadOnlyDictionary<string, string> commandLine)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lists = ListKeys.Keys.ToDictionary(k => k, _ => new List<string>(), StringComparer.Ordinal);
        configFile ??= environment["MOXING_CONFIG"] as string;
        if (!string.IsNullOrEmpty(configFile)) ReadConfig(configFile, values, lists);
        foreach (var key in Keys)
            if (environment["MOXING_" + key.ToUpperInvariant()] is string v && v.Length > 0) Set(values, lists, key, v);
        foreach (var (key, v) in commandLine) Set(values, lists, key, v);
        return Build(values, lists);
    }

    // A later layer's list replaces an earlier one's.
    private static void Set(Dictionary<string, string> values, Dictionary<string, List<string>> lists, string key, string value)
    {
        if (!Keys.Contains(key)) throw new MoxingException($"unknown server setting '{key}'; known: {string.Join(", ", Keys)}");
        if (!ListKeys.TryGetValue(key, out var separator))
        {
            values[key] = value;
            return;
        }
        lists[key].Clear();
        lists[key].AddRange(value.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void ReadConfig(string path, Dictionary<string, string> values, Dictionary<string, List<string>> lists)
    {
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidModelFileException(path, "a config file must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidModelFileException(path, $"not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new MoxingException($"{path}: cannot read the config file: {e.Message}", e);
        }
        foreach (var (key, node) in config)
        {
            if (!Keys.Contains(key)) throw new InvalidModelFileException(path, $"unknown setting '{key}'; known: {string.Join(", ", Keys)}");
            if (node is JsonArray list && lists.TryGetValue(key, out var target))
                target.AddRange(list.Select(m => m is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    ? s.GetValue<string>() : throw new InvalidModelFileException(path, $"'{key}' must be a list of strings")));
            else if (node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number)
                Set(values, lists, key, v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString());
            else throw new InvalidModelFileException(path, $"'{key}' must be a string or a number");
        }
    }

    private static ServerOptions Build(Dictionary<string, string> values, Dictionary<string, List<string>> lists)
    {
        string? Get(string key) => values.GetValueOrDefault(key);
        var manager = new ModelManagerOptions();
        if (Get("low_memory") is { } low && ParseBool(low, "low_memory"))
            manager = manager with { LowMemory = true, Parallel = Inference.Sessions.LowMemory.Parallel };
        if (Get("max_memory") is { } memory) manager = manager with { MaxMemoryBytes = ParseBytes(memory, "max_memory") };
        if (Get("keep_alive") is { } keep) manager = manager with { KeepAlive = ParseDuration(keep, "keep_alive") };
        if (Get("context") is { } context) manager = manager with { Context = ParseInt(context, "context", 1) };
        if (Get("parallel") is { } parallel) manager = manager with { Parallel = ParseInt(parallel, "parallel", 1) };
        if (Get("speculative_tokens") is { } drafts)
            manager = manager with { SpeculativeTokens = ParseInt(drafts, "speculative_tokens", 0, Inference.Scheduling.SchedulerOptions.MaxSpeculativeTokens) };
        if (Get("kv_type") is { } kv) manager = manager with { KvType = Inference.Sessions.KvCacheType.Parse(kv, "kv_type") };
        return new ServerOptions
        {
            Host = Get("host") ?? ServerOptions.DefaultHost,
            Port = Get("port") is { } port ? ParseInt(port, "port", 0, 65535) : ServerOptions.DefaultPort,
            Models = lists["models"],
            ModelsDirectory = Get("models_dir"),
            Projector = Get("mmproj"),
            Database = Get("database"),
            Manager = manager,
            RequestTimeout = Get("request_timeout") is { } timeout ? PositiveDuration(timeout, "request_timeout", allowNone: true) : null,
            ShutdownGrace = Get("shutdown_grace") is { } grace ? PositiveDuration(grace, "shutdown_grace", allowNone: false)!.Value : ServerOptions.DefaultShutdownGrace,
            MaxBodyBytes = Get("max_body") is { } body ? AtLeast(ParseBytes(body, "max_body"), 1024, "max_body") : ServerOptions.DefaultMaxBodyBytes,
            MaxHeaderBytes = Get("max_header") is { } header
                ? (int)Math.Min(AtLeast(ParseBytes(header, "max_header"), 1024, "max_header"), int.MaxValue) : ServerOptions.DefaultMaxHeaderBytes,
            TlsCertificatePath = Get("tls_cert"),
            TlsKeyPath = Get("tls_key"),
            CorsOrigins = [.. lists["cors_origin"].Select(CorsOrigin)],
            LogFormat = Get("log_format") switch
            {
                null or "text" => LogFormat.Text,
                "json" => LogFormat.Json,
                var other => throw new MoxingException($"log_format must be text or json, got '{other}'"),
            },
            OtlpEndpoint = Get("otlp") is { } otlp ? Observability.OtlpExport.Parse(otlp, "otlp") : null,
        };
    }

    // A duration that must be positive; "0" or "none" means no limit where that is allowed.
    private static TimeSpan? PositiveDuration(string text, string key, bool allowNone)
    {
        if (allowNone && text.Trim() is "0" or "none") return null;
        var span = ParseDuration(text, key);
        return span > TimeSpan.Zero ? span : throw new MoxingException($"{key} must be a positive duration such as 30s or 5m, got '{text}'");
    }

    private static long AtLeast(long value, long min, string key) =>
        value >= min ? value : throw new MoxingException($"{key} must be at least {min} bytes, got {value}");

    // Browsers send an origin as scheme://host[:port] with no path; anything else can never match.
    private static string CorsOrigin(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/" && !origin.EndsWith('/')
            ? origin : throw new MoxingException($"cors_origin must be an origin such as https://app.example.com (scheme, host, optional port), got '{origin}'");

    private static bool ParseBool(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new MoxingException($"{key} must be true or false, got '{text}'"),
    };

    private static int ParseInt(string text, string key, int min, int max = int.MaxValue) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v : throw new MoxingException($"{key} must be an integer between {min} and {max}, got '{text}'");

    /// <summary>A size such as 8G, 512MiB, 2GB or plain bytes (binary multiples).</summary>
    public static long ParseBytes(string text, string key)
    {
        var s = text.Trim();
        var end = s.Length;
        while (end > 0 && char.IsAsciiLetter(s[end - 1])) end--;
        var unit = s[end..].ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        long scale = unit switch { "" => 1, "K" => 1L << 10, "M" => 1L << 20, "G" => 1L << 30, "T" => 1L << 40, _ => 0 };
        if (scale == 0 || !double.TryParse(s[..end], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || amount < 0)
            throw new MoxingException($"{key} must be a size such as 8G or 512M, got '{text}'");
        return (long)(amount * scale);
    }

    /// <summary>A duration: seconds, or Go's form (30s, 5m, 1h30m); negative: forever.</summary>
    public static TimeSpan ParseDuration(string text, string key) => Ollama.KeepAlive.TryParseDuration(text, out var span)
        ? span : throw new MoxingException($"{key} must be a duration such as 30s, 5m or 1h (negative: forever), got '{text}'");
}
