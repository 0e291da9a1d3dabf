using System.Text.Json;
using Moxing.Inference.Constraints;
using Moxing.Inference.Constraints.Grammar;
using Moxing.Inference.Constraints.Json;
using Moxing.Text.Tokenization;

namespace Moxing.Inference.Tools;

/// <summary>A function the model may call: its name and the JSON Schema of its parameters.</summary>
/// <param name="Name">The function name.</param>
/// <param name="Parameters">The parameters' JSON Schema.</param>
public sealed record ToolDefinition(string Name, JsonElement Parameters);

/// <summary>
/// tool_choice "required" or a named function: constrains the output to tool calls in the model's own format, each a
/// call of one of <c>tools</c> whose arguments validate against its parameters schema.
/// </summary>
public static class ToolCallConstraint
{
    /// <summary>
    /// A constraint allowing only calls of <paramref name="tools"/> (one, or several when <paramref name="parallel"/>)
    /// written as <paramref name="format"/> expects. Throws <see cref="UnsupportedSchemaException"/> for a parameters
    /// schema that cannot be enforced.
    /// </summary>
    public static GrammarConstraint Create(IReadOnlyList<ToolDefinition> tools, ToolCallFormat format, Tokenizer tokenizer,
        bool parallel = false, IReadOnlyCollection<int>? endTokenIds = null)
    {
        if (tools.Count == 0) throw new ArgumentException("at least one tool is needed", nameof(tools));
        var compiler = new JsonSchemaCompiler(JsonWhitespace.Compact);
        var b = compiler.Builder;
        var argsKey = format == ToolCallFormat.Llama3Json ? "parameters" : "arguments";
        var calls = new List<Symbol>();
        foreach (var tool in tools)
        {
            var arguments = compiler.Document(tool.Parameters);
            calls.Add(b.Sequence(b.Literal($"{{\"name\": {JsonLiteral.String(tool.Name)}, \"{argsKey}\": "), arguments, b.Literal("}")));
        }
        var call = calls.Count == 1 ? calls[0] : b.Choice(calls);
        var (open, separator, close) = format switch
        {
            ToolCallFormat.Hermes => ("<tool_call>\n", "\n</tool_call>\n<tool_call>\n", "\n</tool_call>"),
            ToolCallFormat.Mistral => ("[TOOL_CALLS][", ", ", "]"),
            _ => ("", "; ", ""),
        };
        var more = parallel ? b.Repeat(b.Sequence(b.Literal(separator), call), 0, -1) : b.Empty;
        var root = b.Sequence(b.Literal(open), call, more, b.Literal(close));
        return new GrammarConstraint(b.Build(root), tokenizer, endTokenIds);
    }
}
