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
