using System.Text.Json;

namespace Moxing.Inference.Constraints.Json;

/// <summary>
/// oneOf is enforced as anyOf only when no value can match two alternatives: their types are disjoint, their
/// const/enum values are, or (objects) they share a required property whose const/enum values are disjoint.
/// </summary>
internal static class OneOfCheck
{
    /// <summary>Throws <see cref="UnsupportedSchemaException"/> unless the alternatives are pairwise distinguishable.</summary>
    public static void RequireDistinguishable(JsonElement list, string path, JsonSchemaCompiler compiler)
    {
        var alternatives = new List<JsonElement>();
        foreach (var alt in list.EnumerateArray()) alternatives.Add(Target(alt, path, compiler));
        for (var i = 0; i < alternatives.Count; i++)
            for (var j = i + 1; j < alternatives.Count; j++)
                if (!Disjoint(alternatives[i], alternatives[j], compiler, path))
                    throw new UnsupportedSchemaException("oneOf", path, $"alternatives {i} and {j} can match the same value, so exactly-one cannot be enforced");
    }

    private static JsonElement Target(JsonElement schema, string path, JsonSchemaCompiler compiler)
    {
        for (var hops = 0; hops < 32 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var r) && r.ValueKind == JsonValueKind.String; hops++)
            schema = compiler.Resolve(r.GetString()!, path);
        return schema;
    }

    private static bool Disjoint(JsonElement a, JsonElement b, JsonSchemaCompiler compiler, string path)
    {
        var ta = Kinds(a);
        var tb = Kinds(b);
        if (ta is not null && tb is not null && !ta.Overlaps(tb)) return true;
        if (Values(a) is { } va && Values(b) is { } vb && !va.Overlaps(vb)) return true;
        if (a.ValueKind != JsonValueKind.Object || b.ValueKind != JsonValueKind.Object) return false;
        if (!a.TryGetProperty("properties", out var pa) || !b.TryGetProperty("properties", out var pb)) return false;
        foreach (var p in pa.EnumerateObject())
        {
            if (!IsRequired(a, p.Name) || !IsRequired(b, p.Name) || !pb.TryGetProperty(p.Name, out var other)) continue;
            if (Values(Target(p.Value, path, compiler)) is { } x && Values(Target(other, path, compiler)) is { } y && !x.Overlaps(y)) return true;
        }
        return false;
    }

    private static bool IsRequired(JsonElement schema, string name)
    {
        if (!schema.TryGetProperty("required", out var req) || req.ValueKind != JsonValueKind.Array) return false;
        foreach (var r in req.EnumerateArray())
            if (r.ValueKind == JsonValueKind.String && r.GetString() == name) return true;
        return false;
    }

    // The JSON texts a const/enum schema allows, or null when it is not one.
    private static HashSet<string>? Values(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object) return null;
        if (schema.TryGetProperty("const", out var c)) return [JsonLiteral.Text(c)];
        if (!schema.TryGetProperty("enum", out var e) || e.ValueKind != JsonValueKind.Array) return null;
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var v in e.EnumerateArray()) set.Add(JsonLiteral.Text(v));
        return set;
    }

    // The JSON types a schema can match ("number" covers integers), or null when unknown (any).
    private static HashSet<string>? Kinds(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object) return null;
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("const", out var c)) set.Add(Kind(c));
        else if (schema.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array)
            foreach (var v in e.EnumerateArray()) set.Add(Kind(v));
        else if (schema.TryGetProperty("type", out var t))
        {
            if (t.ValueKind == JsonValueKind.String) set.Add(Normal(t.GetString()!));
            else if (t.ValueKind == JsonValueKind.Array)
                foreach (var v in t.EnumerateArray()) set.Add(Normal(v.GetString() ?? ""));
        }
        else return null;
        if (schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True) set.Add("null");
        return set;
    }

    private static string Kind(JsonElement v) => Normal(JsonSchemaCompiler.KindName(v));

    private static string Normal(string type) => type == "integer" ? "number" : type;
}
