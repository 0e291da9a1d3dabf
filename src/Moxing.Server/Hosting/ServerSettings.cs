using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Server.Models;

namespace Moxing.Server.Hosting;

/// <summary>
/// Reads <see cref="ServerOptions"/> from three layers, each overriding the one before: a JSON config file, <c>MOXING_*</c>
/// environment variables, and the command line. Keys: host, port, models, models_dir, max_memory, keep_alive, context, parallel, database.
/// </summary>
public static class ServerSettings
{
    /// <summary>The keys a config file, <c>MOXING_KEY</c> variable or <c>--key</c> option may set.</summary>
    public static readonly IReadOnlyList<string> Keys = ["host", "port", "models", "models_dir", "max_memory", "keep_alive", "context", "parallel", "database"];

    /// <summary>
    /// Merges the layers: <paramref name="configFile"/> (JSON object; null: MOXING_CONFIG if set), then <paramref name="environment"/>,
    /// then <paramref name="commandLine"/> (key → value; models as a list separated by the path separator).
    /// </summary>
    public static ServerOptions Resolve(string? configFile, IDictionary environment, IReadOnlyDictionary<string, string> commandLine)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var models = new List<string>();
        configFile ??= environment["MOXING_CONFIG"] as string;
        if (!string.IsNullOrEmpty(configFile)) ReadConfig(configFile, values, models);
        foreach (var key in Keys)
            if (environment["MOXING_" + key.ToUpperInvariant()] is string v && v.Length > 0) Set(values, models, key, v, replaceModels: true);
        foreach (var (key, v) in commandLine) Set(values, models, key, v, replaceModels: true);
        return Build(values, models);
    }

    private static void Set(Dictionary<string, string> values, List<string> models, string key, string value, bool replaceModels)
    {
        if (!Keys.Contains(key)) throw new MoxingException($"unknown server setting '{key}'; known: {string.Join(", ", Keys)}");
        if (key != "models")
        {
            values[key] = value;
            return;
        }
        if (replaceModels) models.Clear();
        models.AddRange(value.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static void ReadConfig(string path, Dictionary<string, string> values, List<string> models)
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
            if (node is JsonArray list && key == "models")
                models.AddRange(list.Select(m => m is JsonValue s && s.GetValueKind() == JsonValueKind.String
                    ? s.GetValue<string>() : throw new InvalidModelFileException(path, "'models' must be a list of paths")));
            else if (node is JsonValue v && v.GetValueKind() is JsonValueKind.String or JsonValueKind.Number)
                Set(values, models, key, v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString(), replaceModels: false);
            else throw new InvalidModelFileException(path, $"'{key}' must be a string or a number");
        }
    }

    private static ServerOptions Build(Dictionary<string, string> values, List<string> models)
    {
        string? Get(string key) => values.GetValueOrDefault(key);
        var manager = new ModelManagerOptions();
        if (Get("max_memory") is { } memory) manager = manager with { MaxMemoryBytes = ParseBytes(memory, "max_memory") };
        if (Get("keep_alive") is { } keep) manager = manager with { KeepAlive = ParseDuration(keep, "keep_alive") };
        if (Get("context") is { } context) manager = manager with { Context = ParseInt(context, "context", 1) };
        if (Get("parallel") is { } parallel) manager = manager with { Parallel = ParseInt(parallel, "parallel", 1) };
        return new ServerOptions
        {
            Host = Get("host") ?? ServerOptions.DefaultHost,
            Port = Get("port") is { } port ? ParseInt(port, "port", 0, 65535) : ServerOptions.DefaultPort,
            Models = models,
            ModelsDirectory = Get("models_dir"),
            Database = Get("database"),
            Manager = manager,
        };
    }

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
