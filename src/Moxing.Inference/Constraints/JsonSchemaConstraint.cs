using System.Text.Json;
using Moxing.Inference.Constraints.Grammar;
using Moxing.Inference.Constraints.Json;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Constraints;

/// <summary>
/// Constrains generation to JSON that parses and validates against a JSON Schema (response_format json_schema), or
/// to any JSON object (json_object). Unsupported keywords throw <see cref="UnsupportedSchemaException"/> at construction.
/// </summary>
public sealed class JsonSchemaConstraint : GrammarConstraint
{
    private JsonSchemaConstraint(ByteGrammar grammar, Tokenizer tokenizer, IReadOnlyCollection<int>? endTokenIds)
        : base(grammar, tokenizer, endTokenIds)
    {
    }

    /// <summary>
    /// A constraint to JSON valid under <paramref name="schema"/>. <paramref name="endTokenIds"/> are the ids that end
    /// generation (allowed only once the JSON is complete); null: the tokenizer's EOS.
    /// </summary>
    public JsonSchemaConstraint(JsonElement schema, Tokenizer tokenizer, IReadOnlyCollection<int>? endTokenIds = null,
        JsonWhitespace whitespace = JsonWhitespace.Bounded)
        : this(CompileSchema(schema, whitespace), tokenizer, endTokenIds)
    {
    }

    /// <summary>A constraint to any JSON value whose top level is an object (response_format json_object).</summary>
    public static JsonSchemaConstraint AnyObject(Tokenizer tokenizer, IReadOnlyCollection<int>? endTokenIds = null,
        JsonWhitespace whitespace = JsonWhitespace.Bounded)
    {
        var compiler = new JsonSchemaCompiler(whitespace);
        return new JsonSchemaConstraint(compiler.Builder.Build(compiler.AnyObject()), tokenizer, endTokenIds);
    }

    /// <summary>Throws <see cref="UnsupportedSchemaException"/> when <paramref name="schema"/> cannot be enforced (no tokenizer needed).</summary>
    public static void Validate(JsonElement schema) => CompileSchema(schema, JsonWhitespace.Compact);

    private static ByteGrammar CompileSchema(JsonElement schema, JsonWhitespace whitespace)
    {
        var compiler = new JsonSchemaCompiler(whitespace);
        return compiler.Builder.Build(compiler.Document(schema));
    }
}
