using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Moxing.Inference.Tests.Constraints;

/// <summary>A JSON Schema validator for the keywords constrained decoding supports; returns the first violation or null.</summary>
internal sealed class SchemaValidator(JsonElement root)
{
    public string? Validate(JsonElement value) => Check(root, value, "$");

    private string? Check(JsonElement schema, JsonElement value, string at)
    {
        if (schema.ValueKind == JsonValueKind.True) return null;
        if (schema.ValueKind == JsonValueKind.False) return $"{at}: false schema";
        if (schema.TryGetProperty("$ref", out var r)) return Check(Resolve(r.GetString()!), value, at);
        if (schema.TryGetProperty("allOf", out var all))
            foreach (var s in all.EnumerateArray())
                if (Check(s, value, at) is { } e) return e;
        var nullable = schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True;
        if (nullable && value.ValueKind == JsonValueKind.Null) return null;
        if (schema.TryGetProperty("anyOf", out var any))
        {
            var ok = false;
            foreach (var s in any.EnumerateArray()) ok |= Check(s, value, at) is null;
            if (!ok) return $"{at}: matches no anyOf alternative";
        }
        if (schema.TryGetProperty("oneOf", out var one))
        {
            var count = 0;
            foreach (var s in one.EnumerateArray()) count += Check(s, value, at) is null ? 1 : 0;
            if (count != 1) return $"{at}: matches {count} oneOf alternatives";
        }
        if (schema.TryGetProperty("const", out var c) && !JsonElement.DeepEquals(c, value)) return $"{at}: not the const";
        if (schema.TryGetProperty("enum", out var en))
        {
            var ok = false;
            foreach (var v in en.EnumerateArray()) ok |= JsonElement.DeepEquals(v, value);
            if (!ok) return $"{at}: not in enum";
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var ok = false;
            if (type.ValueKind == JsonValueKind.String) ok = HasType(type.GetString()!, value);
            else foreach (var t in type.EnumerateArray()) ok |= HasType(t.GetString()!, value);
            if (!ok) return $"{at}: {value.ValueKind} is not of type {type}";
        }
        return value.ValueKind switch
        {
            JsonValueKind.Object => CheckObject(schema, value, at),
            JsonValueKind.Array => CheckArray(schema, value, at),
            JsonValueKind.String => CheckString(schema, value.GetString()!, at),
            JsonValueKind.Number => CheckNumber(schema, value.GetDouble(), at),
            _ => null,
        };
    }

    private static bool HasType(string type, JsonElement v) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) && d == decimal.Truncate(d),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => throw new ArgumentException(type),
    };

    private string? CheckObject(JsonElement schema, JsonElement value, string at)
    {
        var seen = new HashSet<string>();
        foreach (var p in value.EnumerateObject())
        {
            if (!seen.Add(p.Name)) return $"{at}: duplicate key {p.Name}";
            if (schema.TryGetProperty("properties", out var props) && props.TryGetProperty(p.Name, out var ps))
            {
                if (Check(ps, p.Value, $"{at}.{p.Name}") is { } e) return e;
            }
            else if (schema.TryGetProperty("additionalProperties", out var extra) && Check(extra, p.Value, $"{at}.{p.Name}") is { } e2) return e2;
        }
        if (schema.TryGetProperty("required", out var req))
            foreach (var r in req.EnumerateArray())
                if (!seen.Contains(r.GetString()!)) return $"{at}: missing {r}";
        return null;
    }

    private string? CheckArray(JsonElement schema, JsonElement value, string at)
    {
        var count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && count < min.GetInt32()) return $"{at}: fewer than minItems";
        if (schema.TryGetProperty("maxItems", out var max) && count > max.GetInt32()) return $"{at}: more than maxItems";
        var prefix = schema.TryGetProperty("prefixItems", out var pi) ? pi.GetArrayLength() : 0;
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            var s = i < prefix ? pi[i] : schema.TryGetProperty("items", out var items) ? items : default;
            if (s.ValueKind != JsonValueKind.Undefined && Check(s, item, $"{at}[{i}]") is { } e) return e;
            i++;
        }
        return null;
    }

    private static string? CheckString(JsonElement schema, string s, string at)
    {
        var length = s.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out var min) && length < min.GetInt32()) return $"{at}: shorter than minLength";
        if (schema.TryGetProperty("maxLength", out var max) && length > max.GetInt32()) return $"{at}: longer than maxLength";
        if (schema.TryGetProperty("pattern", out var p) && !Regex.IsMatch(s, p.GetString()!, RegexOptions.ECMAScript)) return $"{at}: '{s}' does not match {p}";
        if (schema.TryGetProperty("format", out var f))
        {
            var ok = f.GetString() switch
            {
                "date" => DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
                "date-time" => DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && s.Contains('T'),
                "time" => TimeOnly.TryParse(s[..8], CultureInfo.InvariantCulture, out _),
                "uuid" => Guid.TryParseExact(s, "D", out _),
                "email" => s.Count(ch => ch == '@') == 1 && s.IndexOf('@') > 0 && s[(s.IndexOf('@') + 1)..].Contains('.'),
                "ipv4" => IPAddress.TryParse(s, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && s.Split('.').Length == 4,
                _ => throw new ArgumentException(f.GetString()),
            };
            if (!ok) return $"{at}: '{s}' is not a {f}";
        }
        return null;
    }

    private static string? CheckNumber(JsonElement schema, double v, string at)
    {
        if (schema.TryGetProperty("minimum", out var min) && v < min.GetDouble()) return $"{at}: {v} below minimum";
        if (schema.TryGetProperty("maximum", out var max) && v > max.GetDouble()) return $"{at}: {v} above maximum";
        if (schema.TryGetProperty("exclusiveMinimum", out var emin) && emin.ValueKind == JsonValueKind.Number && v <= emin.GetDouble()) return $"{at}: {v} not above exclusiveMinimum";
        if (schema.TryGetProperty("exclusiveMaximum", out var emax) && emax.ValueKind == JsonValueKind.Number && v >= emax.GetDouble()) return $"{at}: {v} not below exclusiveMaximum";
        return null;
    }

    private JsonElement Resolve(string pointer)
    {
        var node = root;
        if (pointer == "#") return node;
        foreach (var part in pointer[2..].Split('/')) node = node.ValueKind == JsonValueKind.Array ? node[int.Parse(part)] : node.GetProperty(part);
        return node;
    }
}
