using System.Text.Json;
using Moxing.Inference.Constraints.Grammar;

namespace Moxing.Inference.Constraints.Json;

/// <summary>
/// Compiles JSON Schema into a byte grammar whose sentences are exactly JSON texts that validate (a subset of them:
/// object properties come in schema order, numbers have bounded digits). A keyword it cannot enforce throws
/// <see cref="UnsupportedSchemaException"/> naming the keyword and its path, never silently ignored.
/// </summary>
internal sealed partial class JsonSchemaCompiler
{
    private const int MaxIndent = 20;

    private static readonly HashSet<string> Annotations = new(StringComparer.Ordinal)
    {
        "title", "description", "$schema", "$id", "$comment", "examples", "default", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions", "$anchor", "example",
    };

    private static readonly HashSet<string> Enforced = new(StringComparer.Ordinal)
    {
        "type", "nullable", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
        "properties", "required", "additionalProperties",
        "items", "prefixItems", "minItems", "maxItems", "uniqueItems",
        "minLength", "maxLength", "pattern", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    };

    private readonly Dictionary<(int Doc, string Pointer), Symbol> _refs = [];
    // The $refs entered since the last byte the grammar consumes: meeting one again would be left recursion.
    private HashSet<(int Doc, string Pointer)> _unguardedRefs = [];
    private readonly List<JsonElement> _documents = [];
    private int _document;
    private Symbol? _anyValue;
    private Symbol? _anyObject;
    private Symbol? _stringChar;

    /// <summary>A compiler writing into a fresh grammar.</summary>
    public JsonSchemaCompiler(JsonWhitespace whitespace)
    {
        Builder = new GrammarBuilder();
        Ws = whitespace == JsonWhitespace.Compact
            ? Builder.Empty
            : Builder.Choice(Builder.Empty, Builder.Literal(" "),
                Builder.Sequence(Builder.Literal("\n"), Builder.Repeat(Builder.Bytes(ByteClass.OfChars(" \t")), 0, MaxIndent)));
    }

    /// <summary>The grammar being built.</summary>
    public GrammarBuilder Builder { get; }

    /// <summary>Optional whitespace between JSON tokens.</summary>
    public Symbol Ws { get; }

    /// <summary>The grammar of a whole schema document (its $refs resolve against <paramref name="schema"/>).</summary>
    public Symbol Document(JsonElement schema)
    {
        var saved = _document;
        _documents.Add(schema);
        _document = _documents.Count - 1;
        try
        {
            return Value(schema, "#");
        }
        finally
        {
            _document = saved;
        }
    }

    /// <summary>Any JSON value.</summary>
    public Symbol AnyValue()
    {
        if (_anyValue is { } v) return v;
        var value = Builder.NewRule();
        _anyValue = value;
        var member = Builder.Sequence(StringOf(StringChar()), Ws, Builder.Literal(":"), Ws, value);
        _anyObject = Container("{", member, "}");
        Builder.Add(value, _anyObject.Value);
        Builder.Add(value, Container("[", value, "]"));
        Builder.Add(value, StringOf(StringChar()));
        Builder.Add(value, Number(integer: false, nonNegative: false));
        foreach (var literal in (string[])["true", "false", "null"]) Builder.Add(value, Builder.Literal(literal));
        return value;
    }

    /// <summary>Any JSON object (json_object mode).</summary>
    public Symbol AnyObject()
    {
        AnyValue();
        return _anyObject!.Value;
    }

    // open ws (item (ws , ws item)* ws)? close
    private Symbol Container(string open, Symbol item, string close) =>
        Enclosed(open, Builder.Sequence(item, Builder.Repeat(Builder.Sequence(Ws, Builder.Literal(","), Ws, item), 0, -1)), mandatory: false, close);

    private Symbol Value(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return AnyValue();
        if (schema.ValueKind == JsonValueKind.False) throw new UnsupportedSchemaException("false", path, "a false schema accepts no value");
        if (schema.ValueKind != JsonValueKind.Object) throw new UnsupportedSchemaException("(schema)", path, $"a schema must be an object or a boolean, got {schema.ValueKind}");
        var constraining = 0;
        foreach (var p in schema.EnumerateObject())
        {
            if (Annotations.Contains(p.Name)) continue;
            if (!Enforced.Contains(p.Name)) throw new UnsupportedSchemaException(p.Name, $"{path}/{p.Name}", "this keyword is not supported by constrained decoding");
            constraining++;
        }
        if (schema.TryGetProperty("uniqueItems", out var unique) && unique.ValueKind != JsonValueKind.False)
            throw new UnsupportedSchemaException("uniqueItems", $"{path}/uniqueItems", "unique array items cannot be enforced");
        if (schema.TryGetProperty("$ref", out var reference))
        {
            if (constraining > 1) throw new UnsupportedSchemaException("$ref", $"{path}/$ref", "$ref next to other constraining keywords is not supported");
            return Ref(reference, $"{path}/$ref");
        }
        if (schema.TryGetProperty("allOf", out var allOf))
        {
            if (constraining > 1 || allOf.ValueKind != JsonValueKind.Array || allOf.GetArrayLength() != 1)
                throw new UnsupportedSchemaException("allOf", $"{path}/allOf", "only an allOf of a single schema (with no sibling keywords) is supported");
            return Value(allOf[0], $"{path}/allOf/0");
        }
        var anyOfName = schema.TryGetProperty("anyOf", out var anyOf) ? "anyOf" : schema.TryGetProperty("oneOf", out anyOf) ? "oneOf" : null;
        if (anyOfName is not null)
        {
            if (constraining > 1 && !(constraining == 2 && schema.TryGetProperty("nullable", out _)))
                throw new UnsupportedSchemaException(anyOfName, $"{path}/{anyOfName}", $"{anyOfName} next to other constraining keywords is not supported");
            return Alternatives(schema, anyOf, anyOfName, $"{path}/{anyOfName}");
        }
        if (schema.TryGetProperty("const", out var constant)) return Literals([constant], schema, $"{path}/const");
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                throw new UnsupportedSchemaException("enum", $"{path}/enum", "enum must be a non-empty array");
            return Literals([.. values.EnumerateArray()], schema, $"{path}/enum");
        }
        var types = Types(schema, path);
        var options = new List<Symbol>(types.Count);
        foreach (var type in types) options.Add(Typed(type, schema, path));
        return options.Count == 1 ? options[0] : Builder.Choice(options);
    }

    private Symbol Typed(string type, JsonElement schema, string path) => type switch
    {
        "object" => Object(schema, path),
        "array" => Array(schema, path),
        "string" => String(schema, path),
        "integer" => Integer(schema, path),
        "number" => NumberOf(schema, path),
        "boolean" => Builder.Choice(Builder.Literal("true"), Builder.Literal("false")),
        "null" => Builder.Literal("null"),
        "any" => AnyValue(),
        _ => throw new UnsupportedSchemaException("type", $"{path}/type", $"unknown type '{type}'"),
    };

    // The types a schema allows: its "type" (string or list) plus null when nullable; inferred from keywords when absent.
    private static List<string> Types(JsonElement schema, string path)
    {
        var types = new List<string>();
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String) types.Add(type.GetString()!);
            else if (type.ValueKind == JsonValueKind.Array)
                foreach (var t in type.EnumerateArray())
                {
                    if (t.ValueKind != JsonValueKind.String) throw new UnsupportedSchemaException("type", $"{path}/type", "type list entries must be strings");
                    if (!types.Contains(t.GetString()!)) types.Add(t.GetString()!);
                }
            else throw new UnsupportedSchemaException("type", $"{path}/type", "type must be a string or a list of strings");
            if (types.Count == 0) throw new UnsupportedSchemaException("type", $"{path}/type", "an empty type list accepts no value");
        }
        else types.Add(InferredType(schema));
        if (schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True && !types.Contains("null")) types.Add("null");
        return types;
    }

    private static string InferredType(JsonElement schema)
    {
        foreach (var p in schema.EnumerateObject())
            switch (p.Name)
            {
                case "properties" or "required" or "additionalProperties": return "object";
                case "items" or "prefixItems" or "minItems" or "maxItems": return "array";
                case "minLength" or "maxLength" or "pattern" or "format": return "string";
                case "minimum" or "maximum" or "exclusiveMinimum" or "exclusiveMaximum": return "number";
            }
        return "any";
    }

    // const / enum: the values' compact JSON text, restricted to the schema's type when one is given.
    private Symbol Literals(IReadOnlyList<JsonElement> values, JsonElement schema, string path)
    {
        List<string>? types = schema.TryGetProperty("type", out _) ? Types(schema, path) : null;
        var options = new List<Symbol>();
        foreach (var value in values)
            if (types is null || types.Contains(KindName(value)) || (KindName(value) == "integer" && types.Contains("number")))
                options.Add(Builder.Literal(JsonLiteral.Text(value)));
        if (options.Count == 0) throw new UnsupportedSchemaException(path[(path.LastIndexOf('/') + 1)..], path, "no listed value has the schema's type");
        return options.Count == 1 ? options[0] : Builder.Choice(options);
    }

    /// <summary>The JSON Schema type name of a value ("integer" for whole numbers).</summary>
    public static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private Symbol Alternatives(JsonElement schema, JsonElement list, string keyword, string path)
    {
        if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            throw new UnsupportedSchemaException(keyword, path, $"{keyword} must be a non-empty array");
        if (keyword == "oneOf") OneOfCheck.RequireDistinguishable(list, path, this);
        var options = new List<Symbol>();
        var i = 0;
        foreach (var alt in list.EnumerateArray()) options.Add(Value(alt, $"{path}/{i++}"));
        if (schema.TryGetProperty("nullable", out var nullable) && nullable.ValueKind == JsonValueKind.True) options.Add(Builder.Literal("null"));
        return options.Count == 1 ? options[0] : Builder.Choice(options);
    }

    private Symbol Ref(JsonElement reference, string path)
    {
        if (reference.ValueKind != JsonValueKind.String) throw new UnsupportedSchemaException("$ref", path, "$ref must be a string");
        var pointer = reference.GetString()!;
        var key = (_document, pointer);
        if (_refs.TryGetValue(key, out var known))
        {
            if (_unguardedRefs.Contains(key))
                throw new UnsupportedSchemaException("$ref", path, $"'{pointer}' refers to itself without any JSON in between (left recursion)");
            return known;
        }
        var target = Resolve(pointer, path);
        // The rule exists before its body so that recursive references find it.
        var rule = Builder.NewRule();
        _refs[key] = rule;
        _unguardedRefs.Add(key);
        var body = Value(target, pointer);
        _unguardedRefs.Remove(key);
        Builder.Add(rule, body);
        return rule;
    }

    // Compiles a schema nested inside JSON punctuation ({, [): refs entered before it are no longer left-recursive.
    private Symbol Nested(JsonElement schema, string path)
    {
        var saved = _unguardedRefs;
        _unguardedRefs = [];
        try
        {
            return Value(schema, path);
        }
        finally
        {
            _unguardedRefs = saved;
        }
    }

    /// <summary>The schema a local $ref ("#", "#/$defs/x", "#/definitions/x", any JSON Pointer into the document) points at.</summary>
    public JsonElement Resolve(string pointer, string path)
    {
        if (!pointer.StartsWith('#')) throw new UnsupportedSchemaException("$ref", path, $"only local references (#/...) are supported, got '{pointer}'");
        var node = _documents[_document];
        if (pointer.Length == 1) return node;
        if (pointer[1] != '/') throw new UnsupportedSchemaException("$ref", path, $"'{pointer}' is not a JSON Pointer");
        foreach (var raw in pointer[2..].Split('/'))
        {
            var part = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            if (node.ValueKind == JsonValueKind.Object && node.TryGetProperty(part, out var child)) node = child;
            else if (node.ValueKind == JsonValueKind.Array && int.TryParse(part, out var index) && index >= 0 && index < node.GetArrayLength()) node = node[index];
            else throw new UnsupportedSchemaException("$ref", path, $"'{pointer}' does not resolve in the schema");
        }
        return node;
    }
}
