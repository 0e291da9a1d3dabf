using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Inference.Constraints;
using Moxing.Models;
using Moxing.Server.Http;

namespace Moxing.Server.Generation;

/// <summary>JSON output enforced by constrained decoding: any JSON object, or JSON valid under a schema.</summary>
public static class JsonFormat
{
    /// <summary>A constraint factory for any JSON object (OpenAI json_object, Ollama "json").</summary>
    public static Func<LoadedModel, ITokenConstraint> AnyObject() =>
        model => JsonSchemaConstraint.AnyObject(model.RequireTokenizer(), model.EosTokenIds);

    /// <summary>
    /// Reads an OpenAI output format object: <c>{"type": "text" | "json_object" | "json_schema", …}</c>, with the json_schema's
    /// name, description, schema and strict nested under <c>json_schema</c> (chat's response_format) or beside the type when
    /// <paramref name="flat"/> (the Responses API's text.format). Null for text; bad or unenforceable formats are 400s naming the field.
    /// </summary>
    public static Func<LoadedModel, ITokenConstraint>? Read(JsonRequest format, bool flat)
    {
        var type = format.RequiredString("type");
        var constraint = type switch
        {
            "text" => null,
            "json_object" => AnyObject(),
            "json_schema" => FromSpec(flat ? format : format.Nested("json_schema")
                ?? throw ApiException.BadParameter(format.Name("json_schema"), $"'{format.Name("json_schema")}' is required")),
            _ => throw ApiException.BadParameter(format.Name("type"), $"'{format.Name("type")}' must be text, json_object or json_schema"),
        };
        format.RejectUnknown();
        return constraint;
    }

    // {name, description, schema, strict}: strict is accepted as the schema is always enforced, so strict and non-strict behave the same.
    private static Func<LoadedModel, ITokenConstraint> FromSpec(JsonRequest spec)
    {
        spec.RequiredString("name");
        spec.String("description");
        spec.Bool("strict");
        var constraint = Schema(spec.Node("schema") ?? new JsonObject(), spec.Name("schema"));
        spec.RejectUnknown();
        return constraint;
    }

    /// <summary>
    /// A constraint factory for <paramref name="schema"/>; a schema that cannot be enforced is a 400 naming <paramref name="param"/>
    /// now, never an unenforced reply later.
    /// </summary>
    public static Func<LoadedModel, ITokenConstraint> Schema(JsonNode? schema, string param)
    {
        if (schema is not (JsonObject or JsonValue)) throw ApiException.BadParameter(param, $"'{param}' must be a JSON schema object");
        using var document = JsonDocument.Parse(schema.ToJsonString());
        var element = document.RootElement.Clone();
        try
        {
            JsonSchemaConstraint.Validate(element);
        }
        catch (UnsupportedSchemaException e)
        {
            throw new ApiException(400, $"'{param}': {e.Message}", param: param, code: "unsupported_schema", inner: e);
        }
        return model => new JsonSchemaConstraint(element, model.RequireTokenizer(), model.EosTokenIds);
    }
}
