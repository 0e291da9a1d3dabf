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
    /// <summary>Whether calls in <paramref name="format"/> can be enforced: not for the formats whose arguments are tagged
    /// plain text (Qwen3-Coder, GLM-4.5, MiniMax-M2, Seed-OSS) or Python literals (LFM2, pythonic), which a JSON schema does not
    /// describe.</summary>
    public static bool CanEnforce(ToolCallFormat format) => format is not (ToolCallFormat.Qwen3CoderXml or ToolCallFormat.Glm45
        or ToolCallFormat.MiniMaxM2 or ToolCallFormat.SeedOss or ToolCallFormat.Lfm2 or ToolCallFormat.Pythonic);

    /// <summary>
    /// A constraint allowing only calls of <paramref name="tools"/> (one, or several when <paramref name="parallel"/>)
    /// written as <paramref name="format"/> expects; markup the vocabulary holds as control tokens is written as those tokens.
    /// Throws <see cref="UnsupportedSchemaException"/> for a parameters schema that cannot be enforced, and
    /// <see cref="ArgumentException"/> for a format that <see cref="CanEnforce"/> refuses.
    /// </summary>
    public static GrammarConstraint Create(IReadOnlyList<ToolDefinition> tools, ToolCallFormat format, Tokenizer tokenizer,
        bool parallel = false, IReadOnlyCollection<int>? endTokenIds = null)
    {
        if (tools.Count == 0) throw new ArgumentException("at least one tool is needed", nameof(tools));
        if (!CanEnforce(format)) throw new ArgumentException($"calls in the {format} format cannot be enforced", nameof(format));
        var compiler = new JsonSchemaCompiler(JsonWhitespace.Compact);
        var b = compiler.Builder;
        if (format == ToolCallFormat.Harmony) return Harmony(tools, compiler, tokenizer, endTokenIds);
        Symbol Markup(string text) => Control(tokenizer, text) is { } id ? b.SpecialToken(id) : b.Literal(text);
        Symbol Text(string text) => b.Literal(text);
        // an index the model numbers its calls with (Kimi-K2's functions.NAME:0, Command-R7B's "tool_call_id": "0")
        var index = b.Repeat(b.Bytes(ByteClass.Range('0', '9')), 1, 3);
        var calls = new List<Symbol>();
        foreach (var tool in tools)
        {
            var args = compiler.Document(tool.Parameters);
            var name = JsonLiteral.String(tool.Name);
            calls.Add(format switch
            {
                ToolCallFormat.Llama3Json => b.Sequence(Text($"{{\"name\": {name}, \"parameters\": "), args, Text("}")),
                ToolCallFormat.DeepSeekR1 => b.Sequence(Markup(DeepSeekCalls.CallBegin), Text("function"), Markup(DeepSeekCalls.Separator),
                    Text($"{tool.Name}\n```json\n"), args, Text("\n```"), Markup(DeepSeekCalls.CallEnd)),
                ToolCallFormat.DeepSeekV31 => b.Sequence(Markup(DeepSeekCalls.CallBegin), Text(tool.Name), Markup(DeepSeekCalls.Separator), args,
                    Markup(DeepSeekCalls.CallEnd)),
                ToolCallFormat.KimiK2 => b.Sequence(Markup(KimiCalls.CallBegin), Text($"functions.{tool.Name}:"), index, Markup(KimiCalls.ArgumentBegin),
                    args, Markup(KimiCalls.CallEnd)),
                ToolCallFormat.FunctionaryV32 => b.Sequence(Text(tool.Name + "\n"), args),
                ToolCallFormat.CommandR7B => b.Sequence(Text("{\"tool_call_id\": \""), index, Text($"\", \"tool_name\": {name}, \"parameters\": "), args,
                    Text("}")),
                ToolCallFormat.Apertus => b.Sequence(Text($"{{{name}: "), args, Text("}")),
                _ => b.Sequence(Text($"{{\"name\": {name}, \"arguments\": "), args, Text("}")),
            });
        }
        var call = calls.Count == 1 ? calls[0] : b.Choice(calls);
        var (open, separator, close) = format switch
        {
            ToolCallFormat.Hermes => (b.Sequence(Markup("<tool_call>"), Text("\n")),
                b.Sequence(Text("\n"), Markup("</tool_call>"), Text("\n"), Markup("<tool_call>"), Text("\n")), b.Sequence(Text("\n"), Markup("</tool_call>"))),
            ToolCallFormat.Mistral => (b.Sequence(Markup("[TOOL_CALLS]"), Text("[")), Text(", "), Text("]")),
            ToolCallFormat.DeepSeekR1 => (Markup(DeepSeekCalls.SectionBegin), Text("\n"), Markup(DeepSeekCalls.SectionEnd)),
            ToolCallFormat.DeepSeekV31 => (Markup(DeepSeekCalls.SectionBegin), b.Empty, Markup(DeepSeekCalls.SectionEnd)),
            ToolCallFormat.KimiK2 => (Markup(KimiCalls.SectionBegin), b.Empty, Markup(KimiCalls.SectionEnd)),
            ToolCallFormat.Granite => (b.Sequence(Markup(JsonListCalls.GraniteStart), Text("[")), Text(", "), Text("]")),
            ToolCallFormat.Phi4Mini => (b.Sequence(Markup(JsonListCalls.GraniteStart), Text("[")), Text(", "), b.Sequence(Text("]"), Markup(JsonListCalls.Phi4End))),
            ToolCallFormat.NemotronV2 => (b.Sequence(Markup(JsonListCalls.NemotronStart), Text("[")), Text(", "), b.Sequence(Text("]"), Markup(JsonListCalls.NemotronEnd))),
            ToolCallFormat.Apertus => (b.Sequence(Markup(JsonListCalls.ApertusStart), Text("[")), Text(", "), b.Sequence(Text("]"), Markup(JsonListCalls.ApertusEnd))),
            ToolCallFormat.CommandR7B => (b.Sequence(Markup(JsonListCalls.ActionStart), Text("[")), Text(", "), b.Sequence(Text("]"), Markup(JsonListCalls.ActionEnd))),
            // the generation prompt wrote the first >>>
            ToolCallFormat.FunctionaryV32 => (b.Empty, Text(">>>"), b.Empty),
            _ => (b.Empty, Text("; "), b.Empty),
        };
        var more = parallel ? b.Repeat(b.Sequence(separator, call), 0, -1) : b.Empty;
        var root = b.Sequence(open, call, more, close);
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
