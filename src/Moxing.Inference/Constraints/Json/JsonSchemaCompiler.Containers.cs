using System.Text.Json;
using Moxing.Inference.Constraints.Grammar;

namespace Moxing.Inference.Constraints.Json;

internal sealed partial class JsonSchemaCompiler
{
    // Bounded array lengths expand into one rule per optional item; past this the schema is refused.
    private const int MaxItemsExpansion = 1000;

    // Properties in schema order (required names missing from "properties" appended, with any value); optional ones
    // may be left out, commas only between present members; then additional members when the schema allows them.
    private Symbol Object(JsonElement schema, string path)
    {
        var names = new List<string>();
        var values = new List<Symbol>();
        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array) throw new UnsupportedSchemaException("required", $"{path}/required", "required must be an array of names");
            foreach (var r in req.EnumerateArray())
            {
                if (r.ValueKind != JsonValueKind.String) throw new UnsupportedSchemaException("required", $"{path}/required", "required must be an array of names");
                required.Add(r.GetString()!);
            }
        }
        var hasProperties = schema.TryGetProperty("properties", out var properties);
        if (hasProperties)
        {
            if (properties.ValueKind != JsonValueKind.Object) throw new UnsupportedSchemaException("properties", $"{path}/properties", "properties must be an object");
            foreach (var p in properties.EnumerateObject())
            {
                names.Add(p.Name);
                values.Add(Nested(p.Value, $"{path}/properties/{Escape(p.Name)}"));
            }
        }
        foreach (var r in required)
            if (!names.Contains(r))
            {
                names.Add(r);
                values.Add(AnyValue());
            }
        Symbol? extra = null;
        if (schema.TryGetProperty("additionalProperties", out var additional))
        {
            if (additional.ValueKind != JsonValueKind.False) extra = Nested(additional, $"{path}/additionalProperties");
        }
        // Absent additionalProperties allows extra members; generating none of them still validates, unless there is
        // nothing else to generate.
        else if (!hasProperties && required.Count == 0) extra = AnyValue();

        Symbol? extraMember = extra is { } e
            ? Builder.Sequence(KeyExcept(names), Ws, Builder.Literal(":"), Ws, e)
            : null;
        var comma = Builder.Sequence(Ws, Builder.Literal(","), Ws);
        // first: the members when none came before (never empty; null when there can be none); rest: those after one.
        var rest = extraMember is { } em ? Builder.Repeat(Builder.Sequence(comma, em), 0, -1) : Builder.Empty;
        Symbol? first = extraMember is { } em2 ? Builder.Sequence(em2, rest) : null;
        for (var i = names.Count - 1; i >= 0; i--)
        {
            var member = Builder.Sequence(Builder.Literal(JsonLiteral.String(names[i])), Ws, Builder.Literal(":"), Ws, values[i]);
            var withRest = Builder.Sequence(member, rest);
            var nextRest = Builder.Sequence(comma, withRest);
            if (required.Contains(names[i]))
            {
                first = withRest;
                rest = nextRest;
            }
            else
            {
                first = first is { } f ? Builder.Choice(withRest, f) : withRest;
                rest = Builder.Choice(nextRest, rest);
            }
        }
        return Enclosed("{", first, mandatory: required.Count > 0, "}");
    }

    // open ws (body ws)? close, with the body mandatory or absent (null): one whitespace slot between any two tokens.
    private Symbol Enclosed(string open, Symbol? body, bool mandatory, string close)
    {
        if (body is not { } b) return Builder.Sequence(Builder.Literal(open), Ws, Builder.Literal(close));
        var inner = Builder.Sequence(b, Ws);
        return Builder.Sequence(Builder.Literal(open), Ws, mandatory ? inner : Builder.Optional(inner), Builder.Literal(close));
    }

    private Symbol Array(JsonElement schema, string path)
    {
        var prefix = new List<Symbol>();
        if (schema.TryGetProperty("prefixItems", out var prefixItems))
        {
            if (prefixItems.ValueKind != JsonValueKind.Array) throw new UnsupportedSchemaException("prefixItems", $"{path}/prefixItems", "prefixItems must be an array of schemas");
            var i = 0;
            foreach (var item in prefixItems.EnumerateArray()) prefix.Add(Nested(item, $"{path}/prefixItems/{i++}"));
        }
        Symbol? rest = AnyValue();
        if (schema.TryGetProperty("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array) throw new UnsupportedSchemaException("items", $"{path}/items", "items as an array (draft 4 tuples) is not supported; use prefixItems");
            rest = items.ValueKind == JsonValueKind.False ? null : Nested(items, $"{path}/items");
        }
        else if (prefix.Count > 0) rest = null; // extra items are allowed but need not be generated
        var min = Count(schema, "minItems", path) ?? 0;
        var max = Count(schema, "maxItems", path);
        if (rest is null) max = Math.Min(max ?? prefix.Count, prefix.Count);
        if (min > (max ?? int.MaxValue)) throw new UnsupportedSchemaException("minItems", $"{path}/minItems", "minItems exceeds the number of items the schema allows");
        if (Math.Max(min, prefix.Count) > MaxItemsExpansion || (max is { } m && m - min > MaxItemsExpansion))
            throw new UnsupportedSchemaException(max is null ? "minItems" : "maxItems", path, $"item counts beyond {MaxItemsExpansion} cannot be enforced");
        Symbol ItemAt(int index) => index < prefix.Count ? prefix[index] : rest!.Value;
        var separator = Builder.Sequence(Ws, Builder.Literal(","), Ws);
        // tail: items from index k on, each preceded by a comma; built back to front.
        var openFrom = Math.Max(min, prefix.Count);
        Symbol tail;
        int k;
        if (max is null)
        {
            tail = Builder.Repeat(Builder.Sequence(separator, rest!.Value), 0, -1);
            k = openFrom;
        }
        else
        {
            tail = Builder.Empty;
            k = max.Value;
        }
        for (var i = k - 1; i >= 1; i--)
        {
            var step = Builder.Sequence(separator, ItemAt(i), tail);
            tail = i >= min ? Builder.Optional(step) : step;
        }
        Symbol? whole = null;
        if (max is null && k == 0) whole = Builder.Sequence(rest!.Value, tail);
        else if (k >= 1) whole = Builder.Sequence(ItemAt(0), tail);
        return Enclosed("[", whole, mandatory: min >= 1, "]");
    }

    private static int? Count(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < 0)
            throw new UnsupportedSchemaException(keyword, $"{path}/{keyword}", $"{keyword} must be a non-negative integer");
        return n;
    }

    private static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");
}
