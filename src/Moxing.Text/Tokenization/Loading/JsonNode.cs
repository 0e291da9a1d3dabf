using System.Text.Json;

namespace Moxing.Text.Tokenization.Loading;

/// <summary>A JSON value with its path in the document, so every error names the file and the field.</summary>
internal readonly struct JsonNode(JsonElement element, string path, string source, int index = -1)
{
    private readonly string _path = path;
    private readonly int _index = index;

    /// <summary>The JSON value.</summary>
    public JsonElement Element { get; } = element;

    /// <summary>The value's path, e.g. model.merges[3] (array items build it only when asked).</summary>
    public string Path => _index < 0 ? _path : $"{_path}[{_index}]";

    /// <summary>The file or name the JSON came from.</summary>
    public string Source { get; } = source;

    /// <summary>Whether the value is JSON null.</summary>
    public bool IsNull => Element.ValueKind == JsonValueKind.Null;

    /// <summary>An error about this value.</summary>
    public TokenizerException Error(string problem) => new($"{Source}: field '{Path}': {problem}");

    /// <summary>A child property, or null when it is missing or JSON null.</summary>
    public JsonNode? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object) throw Error($"expected an object, found {Element.ValueKind}");
        if (!Element.TryGetProperty(name, out JsonElement child) || child.ValueKind == JsonValueKind.Null) return null;
        return new JsonNode(child, Child(name), Source);
    }

    /// <summary>A child property that must be present and not null.</summary>
    public JsonNode Required(string name) => Optional(name) ?? throw new TokenizerException($"{Source}: field '{Child(name)}' is missing");

    /// <summary>This value as a string.</summary>
    public string AsString() => Element.ValueKind == JsonValueKind.String
        ? Element.GetString()!
        : throw Error($"expected a string, found {Element.ValueKind}");

    /// <summary>This value as a non-negative 32-bit integer.</summary>
    public int AsIndex() => Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out int value) && value >= 0
        ? value
        : throw Error($"expected a non-negative integer, found {Element.GetRawText()}");

    /// <summary>This value as a number.</summary>
    public double AsDouble() => Element.ValueKind == JsonValueKind.Number
        ? Element.GetDouble()
        : throw Error($"expected a number, found {Element.ValueKind}");

    /// <summary>This value as a boolean.</summary>
    public bool AsBool() => Element.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Error($"expected true or false, found {Element.ValueKind}"),
    };

    /// <summary>A required string property.</summary>
    public string String(string name) => Required(name).AsString();

    /// <summary>An optional string property.</summary>
    public string? OptionalString(string name) => Optional(name)?.AsString();

    /// <summary>An optional boolean property.</summary>
    public bool Bool(string name, bool fallback) => Optional(name)?.AsBool() ?? fallback;

    /// <summary>An optional non-negative integer property.</summary>
    public int Index(string name, int fallback) => Optional(name)?.AsIndex() ?? fallback;

    /// <summary>The items of this array.</summary>
    public IEnumerable<JsonNode> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array) throw Error($"expected an array, found {Element.ValueKind}");
        string path = Path;
        int i = 0;
        foreach (JsonElement item in Element.EnumerateArray()) yield return new JsonNode(item, path, Source, i++);
    }

    /// <summary>The number of items of this array.</summary>
    public int Count => Element.ValueKind == JsonValueKind.Array ? Element.GetArrayLength() : throw Error($"expected an array, found {Element.ValueKind}");

    /// <summary>The "type" tag of a component object.</summary>
    public string Type() => String("type");

    private string Child(string name) => Path.Length == 0 ? name : Path + "." + name;
}
