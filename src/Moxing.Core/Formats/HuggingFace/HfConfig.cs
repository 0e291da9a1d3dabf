using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Core.Formats.HuggingFace;

/// <summary>A Hugging Face JSON config (<c>config.json</c>, <c>generation_config.json</c>) or a nested section of one, with typed getters.</summary>
/// <remarks>A key set to JSON null counts as absent. Get… throws naming the file and key when absent or of the wrong type; TryGet… returns false when absent.</remarks>
public sealed class HfConfig
{
    private delegate bool Conversion<T>(JsonElement element, out T value);

    private readonly JsonElement _root;
    private readonly string _prefix;

    private HfConfig(JsonElement root, string path, string prefix)
    {
        _root = root;
        FilePath = path;
        _prefix = prefix;
    }

    /// <summary>The file the config came from (named in errors).</summary>
    public string FilePath { get; }

    /// <summary>The dotted path of this section within the file ("" for the whole file, "text_config." for a section).</summary>
    public string Prefix => _prefix;

    /// <summary>Reads and parses the JSON file at <paramref name="path"/>.</summary>
    public static HfConfig Load(string path)
    {
        using var doc = JsonFiles.Load(path);
        return FromDocument(doc, path);
    }

    /// <summary>Parses <paramref name="json"/>; <paramref name="path"/> names it in errors.</summary>
    public static HfConfig Parse(string json, string path)
    {
        using var doc = JsonFiles.Parse(Encoding.UTF8.GetBytes(json), path);
        return FromDocument(doc, path);
    }

    private static HfConfig FromDocument(JsonDocument doc, string path)
    {
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidModelFileException(path, $"expected a JSON object, found {doc.RootElement.ValueKind}");
        return new HfConfig(doc.RootElement.Clone(), path, "");
    }

    /// <summary>The keys of this section, in file order.</summary>
    public IEnumerable<string> Keys => _root.EnumerateObject().Select(p => p.Name);

    /// <summary>True when <paramref name="key"/> is present and not null.</summary>
    public bool Has(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null;

    /// <summary>True when <paramref name="key"/> holds a JSON object (a section).</summary>
    public bool IsSection(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Object;

    /// <summary>True when <paramref name="key"/> holds a JSON string.</summary>
    public bool IsString(string key) => _root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String;

    /// <summary>An integer value (a whole JSON number that fits in int).</summary>
    public int GetInt(string key) => Get<int>(key, AsInt, "an integer");

    /// <summary>An integer value, or <paramref name="defaultValue"/> when absent.</summary>
    public int GetInt(string key, int defaultValue) => TryGetInt(key, out var v) ? v : defaultValue;

    /// <summary>An integer value, if present.</summary>
    public bool TryGetInt(string key, out int value) => TryGet(key, AsInt, "an integer", out value);

    /// <summary>A number as double.</summary>
    public double GetDouble(string key) => Get<double>(key, AsDouble, "a number");

    /// <summary>A number as double, or <paramref name="defaultValue"/> when absent.</summary>
    public double GetDouble(string key, double defaultValue) => TryGetDouble(key, out var v) ? v : defaultValue;

    /// <summary>A number as double, if present.</summary>
    public bool TryGetDouble(string key, out double value) => TryGet(key, AsDouble, "a number", out value);

    /// <summary>A number as float.</summary>
    public float GetFloat(string key) => (float)GetDouble(key);

    /// <summary>A number as float, or <paramref name="defaultValue"/> when absent.</summary>
    public float GetFloat(string key, float defaultValue) => TryGetDouble(key, out var v) ? (float)v : defaultValue;

    /// <summary>A number as float, if present.</summary>
    public bool TryGetFloat(string key, out float value)
    {
        var found = TryGetDouble(key, out var v);
        value = (float)v;
        return found;
    }

    /// <summary>A string value.</summary>
    public string GetString(string key) => Get<string>(key, AsString, "a string");

    /// <summary>A string value, or <paramref name="defaultValue"/> when absent.</summary>
    public string GetString(string key, string defaultValue) => TryGetString(key, out var v) ? v : defaultValue;

    /// <summary>A string value, if present.</summary>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) => TryGet(key, AsString, "a string", out value);

    /// <summary>A boolean value.</summary>
    public bool GetBool(string key) => Get<bool>(key, AsBool, "true or false");

    /// <summary>A boolean value, or <paramref name="defaultValue"/> when absent.</summary>
    public bool GetBool(string key, bool defaultValue) => TryGetBool(key, out var v) ? v : defaultValue;

    /// <summary>A boolean value, if present.</summary>
    public bool TryGetBool(string key, out bool value) => TryGet(key, AsBool, "true or false", out value);

    /// <summary>A switch written as true/false or as a number (nonzero: on; some configs write flags as integers); missing: an error.</summary>
    public bool GetFlag(string key) => Get<bool>(key, AsFlag, "true, false or a number");

    /// <summary>Integers given either as one integer or as a list (like <c>eos_token_id</c>); empty when absent.</summary>
    public int[] GetIntList(string key) => TryGet(key, AsIntList, "an integer or a list of integers", out int[] v) ? v : [];

    /// <summary>A list of numbers as floats (like longrope's <c>short_factor</c>).</summary>
    public bool TryGetFloatList(string key, [NotNullWhen(true)] out float[]? value) => TryGet(key, AsFloatList, "a list of numbers", out value);

    /// <summary>Strings given as one string or a list (like <c>architectures</c>); empty when absent.</summary>
    public string[] GetStringList(string key) => TryGet(key, AsStringList, "a string or a list of strings", out string[] v) ? v : [];

    /// <summary>A nested object (like <c>text_config</c> or <c>rope_scaling</c>).</summary>
    public HfConfig GetSection(string key) => Get<HfConfig>(key, (JsonElement e, out HfConfig s) => AsSection(key, e, out s), "an object");

    /// <summary>A nested object, if present.</summary>
    public bool TryGetSection(string key, [NotNullWhen(true)] out HfConfig? section) =>
        TryGet(key, (JsonElement e, out HfConfig s) => AsSection(key, e, out s), "an object", out section);

    /// <summary>
    /// This section with the keys of <paramref name="defaults"/> (a JSON object) that it lacks or sets to null: a model class's
    /// defaults for what its config.json leaves out (as transformers' config classes fill them in).
    /// </summary>
    public HfConfig WithDefaults(string defaults)
    {
        var merged = JsonNode.Parse(defaults)?.AsObject() ?? throw new ArgumentException("defaults must be a JSON object", nameof(defaults));
        foreach (var p in _root.EnumerateObject())
            if (p.Value.ValueKind != JsonValueKind.Null) merged[p.Name] = JsonNode.Parse(p.Value.GetRawText());
        using var doc = JsonDocument.Parse(merged.ToJsonString());
        return new HfConfig(doc.RootElement.Clone(), FilePath, _prefix);
    }

    /// <summary>The RoPE settings, from either the transformers-5 <c>rope_parameters</c> or the older <c>rope_theta</c> + <c>rope_scaling</c> layout.</summary>
    /// <param name="defaultTheta">Base frequency when the config gives none (the model family's default).</param>
    /// <param name="layerType">For configs with per-layer-type settings (<c>full_attention</c>, <c>sliding_attention</c>), which one.</param>
    public RopeSettings GetRope(double defaultTheta = 10000, string? layerType = null) => RopeSettings.From(this, defaultTheta, layerType);

    /// <summary>An error about this file naming <paramref name="key"/> with its section prefix.</summary>
    public InvalidModelFileException Error(string key, string problem) => new(FilePath, $"key '{_prefix}{key}' {problem}");

    private T Get<T>(string key, Conversion<T> convert, string expected) =>
        TryGet(key, convert, expected, out var value) ? value : throw Error(key, $"is missing (expected {expected})");

    private bool TryGet<T>(string key, Conversion<T> convert, string expected, out T value)
    {
        if (!_root.TryGetProperty(key, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            value = default!;
            return false;
        }
        if (!convert(element, out value))
            throw Error(key, $"is {Show(element)}, expected {expected}");
        return true;
    }

    private static string Show(JsonElement e)
    {
        var text = e.GetRawText();
        return text.Length <= 40 ? text : text[..40] + "…";
    }

    private bool AsSection(string key, JsonElement e, out HfConfig section)
    {
        var ok = e.ValueKind == JsonValueKind.Object;
        section = ok ? new HfConfig(e, FilePath, $"{_prefix}{key}.") : null!;
        return ok;
    }

    private static bool AsInt(JsonElement e, out int value)
    {
        value = 0;
        if (e.ValueKind != JsonValueKind.Number) return false;
        if (e.TryGetInt32(out value)) return true;
        // 4096.0 or 1e5 are whole numbers too.
        if (!e.TryGetDouble(out var d) || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue) return false;
        value = (int)d;
        return true;
    }

    private static bool AsDouble(JsonElement e, out double value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out value);
    }

    private static bool AsString(JsonElement e, out string value)
    {
        value = e.ValueKind == JsonValueKind.String ? e.GetString()! : "";
        return e.ValueKind == JsonValueKind.String;
    }

    private static bool AsBool(JsonElement e, out bool value)
    {
        value = e.ValueKind == JsonValueKind.True;
        return e.ValueKind is JsonValueKind.True or JsonValueKind.False;
    }

    private static bool AsFlag(JsonElement e, out bool value)
    {
        value = e.ValueKind == JsonValueKind.True || e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out var d) && d != 0;
        return e.ValueKind is JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number;
    }

    private static bool AsIntList(JsonElement e, out int[] value) => AsList(e, AsInt, out value);

    private static bool AsFloatList(JsonElement e, out float[] value)
    {
        value = [];
        if (e.ValueKind != JsonValueKind.Array || !AsList(e, AsDouble, out double[] wide)) return false;
        value = Array.ConvertAll(wide, d => (float)d);
        return true;
    }

    private static bool AsStringList(JsonElement e, out string[] value) => AsList(e, AsString, out value);

    /// <summary>One item or a list of items, each converted by <paramref name="item"/>.</summary>
    private static bool AsList<T>(JsonElement e, Conversion<T> item, out T[] value)
    {
        value = [];
        if (e.ValueKind != JsonValueKind.Array)
        {
            if (!item(e, out var single)) return false;
            value = [single];
            return true;
        }
        var list = new T[e.GetArrayLength()];
        var i = 0;
        foreach (var x in e.EnumerateArray())
            if (!item(x, out list[i++])) return false;
        value = list;
        return true;
    }
}
