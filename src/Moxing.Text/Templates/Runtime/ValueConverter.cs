using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Text.Templates.Runtime;

/// <summary>Converts JSON and plain .NET values into template values, keeping JSON object key order.</summary>
internal static class ValueConverter
{
    public static Value FromJson(JsonNode? node) => node switch
    {
        null => NoneValue.Instance,
        JsonObject o => FromObject(o),
        JsonArray a => new ListValue(a.Select(FromJson).ToList()),
        // Parsed values wrap a JsonElement; values built in code (new JsonObject { ["content"] = "…" }) hold a .NET value.
        JsonValue v => v.TryGetValue<JsonElement>(out var e) ? FromElement(e) : FromBuiltValue(v),
        _ => throw new TemplateException("unsupported JSON node"),
    };

    private static Value FromBuiltValue(JsonValue v)
    {
        using var doc = JsonDocument.Parse(v.ToJsonString());
        return FromElement(doc.RootElement);
    }

    private static DictValue FromObject(JsonObject o)
    {
        var dict = new DictValue();
        foreach (var (key, child) in o) dict.Set(key, FromJson(child));
        return dict;
    }

    public static Value FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined: return NoneValue.Instance;
            case JsonValueKind.True: return BoolValue.True;
            case JsonValueKind.False: return BoolValue.False;
            case JsonValueKind.String: return new StringValue(e.GetString()!);
            case JsonValueKind.Number:
                // JSON "1" is a Python int and "1.0" a float, as json.loads reads them.
                var raw = e.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    return new IntValue(l);
                return new FloatValue(e.GetDouble());
            case JsonValueKind.Array: return new ListValue(e.EnumerateArray().Select(FromElement).ToList());
            default:
                var dict = new DictValue();
                foreach (var p in e.EnumerateObject()) dict.Set(p.Name, FromElement(p.Value));
                return dict;
        }
    }

    /// <summary>Converts a .NET value: null, string, bool, numbers, JSON nodes/elements, dictionaries and sequences.</summary>
    public static Value FromObject(object? value) => value switch
    {
        null => NoneValue.Instance,
        Value v => v,
        string s => new StringValue(s),
        bool b => BoolValue.Of(b),
        int or long or short or byte or sbyte or ushort or uint => new IntValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => u <= long.MaxValue ? new IntValue((long)u) : new FloatValue(u),
        float or double or decimal => new FloatValue(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        char c => new StringValue(c.ToString()),
        JsonNode n => FromJson(n),
        JsonElement e => FromElement(e),
        IDictionary d => FromDictionary(d),
        IEnumerable<KeyValuePair<string, object?>> pairs => FromPairs(pairs),
        IEnumerable items => new ListValue(items.Cast<object?>().Select(FromObject).ToList()),
        _ => throw new TemplateException($"cannot pass a value of type {value.GetType().Name} to a template"),
    };

    private static DictValue FromDictionary(IDictionary d)
    {
        var dict = new DictValue();
        foreach (DictionaryEntry entry in d) dict.Set(FromObject(entry.Key), FromObject(entry.Value));
        return dict;
    }

    private static DictValue FromPairs(IEnumerable<KeyValuePair<string, object?>> pairs)
    {
        var dict = new DictValue();
        foreach (var (key, value) in pairs) dict.Set(key, FromObject(value));
        return dict;
    }
}
