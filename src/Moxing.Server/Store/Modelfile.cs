using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Server.Http;
using Moxing.Server.Ollama;

namespace Moxing.Server.Store;

/// <summary>
/// An Ollama Modelfile as <c>ollama create -f</c> reads it: FROM (a stored model, or a GGUF / Hugging Face folder path relative to the
/// Modelfile), PARAMETER, SYSTEM and LICENSE (one line, or <c>"""…"""</c> over several). TEMPLATE, ADAPTER and MESSAGE are refused by name:
/// Go templates are not run here, LoRA adapters and preset conversations are not supported.
/// </summary>
public sealed record Modelfile(string From, ModelDefaults Defaults, string? License)
{
    private static readonly Dictionary<string, string> Refused = new(StringComparer.OrdinalIgnoreCase)
    {
        ["TEMPLATE"] = "Go templates are not run here; the model's own chat template is used",
        ["ADAPTER"] = "LoRA adapters are not supported: create from a merged model",
        ["MESSAGE"] = "preset conversations are not supported; give a SYSTEM prompt",
    };

    /// <summary>Reads the Modelfile text; <paramref name="where"/> (its path) starts every error, which names the line.</summary>
    public static Modelfile Parse(string text, string where)
    {
        string? from = null, system = null, license = null;
        var parameters = new JsonObject();
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var number = i + 1;
            var space = line.IndexOfAny([' ', '\t']);
            var instruction = space < 0 ? line : line[..space];
            var rest = space < 0 ? "" : line[(space + 1)..].Trim();
            if (Refused.TryGetValue(instruction, out var why)) throw new MoxingException($"{where}:{number}: {instruction.ToUpperInvariant()}: {why}");
            switch (instruction.ToUpperInvariant())
            {
                case "FROM":
                    from = rest.Length > 0 ? rest : throw new MoxingException($"{where}:{number}: FROM needs a model name or path");
                    break;
                case "SYSTEM":
                    system = Text(lines, ref i, rest, where);
                    break;
                case "LICENSE":
                    var body = Text(lines, ref i, rest, where);
                    license = license == null ? body : license + "\n\n" + body;
                    break;
                case "PARAMETER":
                    AddParameter(parameters, rest, $"{where}:{number}");
                    break;
                default:
                    throw new MoxingException($"{where}:{number}: unknown instruction '{instruction}' (FROM, PARAMETER, SYSTEM, LICENSE)");
            }
        }
        if (from == null) throw new MoxingException($"{where}: no FROM line: name the model to start from");
        ModelDefaults defaults;
        try
        {
            defaults = OllamaOptions.ReadModelParameters(new JsonRequest(parameters, "PARAMETER "));
        }
        catch (ApiException e)
        {
            throw new MoxingException($"{where}: {e.Message}", e);
        }
        return new Modelfile(from, system == null ? defaults : defaults with { System = system }, license);
    }

    // "PARAMETER name value": numbers as numbers, stop strings collected into a list.
    private static void AddParameter(JsonObject parameters, string rest, string where)
    {
        var space = rest.IndexOfAny([' ', '\t']);
        if (space < 0) throw new MoxingException($"{where}: PARAMETER needs a name and a value");
        var name = rest[..space].ToLowerInvariant();
        var value = Unquote(rest[(space + 1)..].Trim());
        if (name == "stop")
        {
            if (parameters["stop"] is not JsonArray stops) parameters["stop"] = stops = [];
            stops.Add((JsonNode?)JsonValue.Create(value));
            return;
        }
        if (parameters.ContainsKey(name)) throw new MoxingException($"{where}: PARAMETER {name} is given twice");
        // numbers as parsed JSON, as a request body's would be; anything else a string (the option reader names wrong types)
        parameters[name] = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? JsonNode.Parse(number == Math.Floor(number) && !value.Contains('.') && Math.Abs(number) < 1e15
                ? ((long)number).ToString(CultureInfo.InvariantCulture) : number.ToString("R", CultureInfo.InvariantCulture))
            : JsonValue.Create(value);
    }

    // One line, a quoted one, or a """block""" over several lines.
    private static string Text(string[] lines, ref int i, string rest, string where)
    {
        if (!rest.StartsWith("\"\"\"", StringComparison.Ordinal)) return Unquote(rest);
        var start = i + 1;
        var text = new StringBuilder(rest[3..]);
        while (true)
        {
            var end = text.ToString().IndexOf("\"\"\"", StringComparison.Ordinal);
            if (end >= 0) return text.ToString()[..end].Trim('\n');
            if (++i >= lines.Length) throw new MoxingException($"{where}:{start}: a \"\"\" block is not closed");
            text.Append('\n').Append(lines[i].TrimEnd('\r'));
        }
    }

    /// <summary>The Modelfile of a model read FROM <paramref name="from"/> with <paramref name="defaults"/> (what /api/show returns); <see cref="Parse"/>
    /// reads it back to the same values.</summary>
    public static string Render(string from, ModelDefaults? defaults)
    {
        var text = new StringBuilder($"# Modelfile generated by moxing\nFROM {from}\n");
        if (defaults is null) return text.ToString();
        foreach (var (key, value) in defaults.Parameters()) text.Append($"PARAMETER {key} {value}\n");
        if (defaults.System is { } system) text.Append($"SYSTEM \"\"\"{system}\"\"\"\n");
        return text.ToString();
    }

    // A "quoted" value without its quotes and with \" and \\ unescaped (as ModelDefaults.Parameters quotes stop strings); others as given.
    private static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"') return value;
        var text = new StringBuilder(value.Length);
        for (var i = 1; i < value.Length - 1; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length - 1 && value[i + 1] is '"' or '\\') i++;
            text.Append(value[i]);
        }
        return text.ToString();
    }
}
