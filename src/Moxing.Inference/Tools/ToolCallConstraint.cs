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
/// call of one of <c>tools</c> whose arguments validate against its parameters schema (harmony: one call message).
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
        if (format == ToolCallFormat.Harmony) return Harmony(tools, compiler, tokenizer, endTokenIds);
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

    // One harmony call message after the generation prompt's <|start|>assistant, as the harmony format teaches:
    // <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>ARGS<|call|>. The markup is the vocabulary's control
    // tokens where it has them (gpt-oss), else text; <|call|> as a control token ends generation, so it is the only end token.
    // One call per reply: <|call|> ends it, as the template renders one call per assistant turn.
    private static GrammarConstraint Harmony(IReadOnlyList<ToolDefinition> tools, JsonSchemaCompiler compiler, Tokenizer tokenizer,
        IReadOnlyCollection<int>? endTokenIds)
    {
        var b = compiler.Builder;
        Symbol Markup(string text) => Control(tokenizer, text) is { } id ? b.SpecialToken(id) : b.Literal(text);
        var calls = new List<Symbol>();
        foreach (var tool in tools)
            calls.Add(b.Sequence(Markup("<|channel|>"), b.Literal($"commentary to=functions.{tool.Name} "), Markup("<|constrain|>"),
                b.Literal("json"), Markup("<|message|>"), compiler.Document(tool.Parameters)));
        var call = calls.Count == 1 ? calls[0] : b.Choice(calls);
        if (Control(tokenizer, "<|call|>") is { } end) return new GrammarConstraint(b.Build(call), tokenizer, [end]);
        return new GrammarConstraint(b.Build(b.Sequence(call, b.Literal("<|call|>"))), tokenizer, endTokenIds);
    }

    // The id of a control (special) token spelled text, or null when the vocabulary writes it as ordinary text.
    private static int? Control(Tokenizer tokenizer, string text) =>
        tokenizer.TokenToId(text) is { } id && tokenizer.IsSpecialToken(id) ? id : null;
}
