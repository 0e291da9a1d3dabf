using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Moxing.Inference.Constraints;
using Moxing.Inference.Tools;
using Moxing.Models;
using Moxing.Server.Http;
using Moxing.Server.Models;

namespace Moxing.Server.Generation;

/// <summary>How the model must use the tools of a request (OpenAI's tool_choice).</summary>
public enum ToolChoice
{
    /// <summary>No calls: the tools are not shown to the model.</summary>
    None,
    /// <summary>The model decides; calls in its output are parsed out.</summary>
    Auto,
    /// <summary>At least one call, enforced by constrained decoding.</summary>
    Required,
    /// <summary>A call of one named function, enforced by constrained decoding.</summary>
    Named,
}

/// <summary>
/// The tools of a chat request: their definitions as the template receives them (transformers' <c>tools</c> variable), the
/// choice, and whether several calls may come in one reply.
/// </summary>
/// <param name="Tools">The tool objects ({"type":"function","function":{…}}) passed to the chat template.</param>
/// <param name="Definitions">Name and parameters schema of each tool, in order.</param>
/// <param name="Choice">How the model must use them.</param>
/// <param name="FunctionName">The function tool_choice names (for <see cref="ToolChoice.Named"/>).</param>
/// <param name="Parallel">Whether one reply may hold several calls (parallel_tool_calls).</param>
public sealed partial record ToolUse(JsonArray Tools, IReadOnlyList<ToolDefinition> Definitions, ToolChoice Choice, string? FunctionName, bool Parallel)
{
    /// <summary>Most tools per request (OpenAI's own limit).</summary>
    public const int MaxTools = 128;

    /// <summary>The tools the template sees: none when the choice is none.</summary>
    public JsonArray? TemplateTools => Choice == ToolChoice.None ? null : Tools;

    /// <summary>
    /// Reads <c>tools</c> and, when <paramref name="withChoice"/> (OpenAI), <c>tool_choice</c> and <c>parallel_tool_calls</c>;
    /// null when the request has no tools and no choice that needs them. <paramref name="flat"/>: the Responses API's shapes, a
    /// function's fields beside its type (<c>{"type": "function", "name": …}</c>) rather than under <c>function</c>. Bad
    /// definitions are 400s naming the field.
    /// </summary>
    public static ToolUse? Read(JsonRequest r, bool withChoice, bool flat = false)
    {
        var list = r.Array("tools");
        var choiceNode = withChoice ? r.Node("tool_choice") : null;
        var parallel = withChoice ? r.Bool("parallel_tool_calls") ?? true : true;
        var (tools, definitions) = list is null ? ([], []) : ReadTools(list, r.Name("tools"), flat);
        var (choice, name) = ReadChoice(choiceNode, r.Name("tool_choice"), definitions, flat);
        if (definitions.Count == 0) return null;
        if (choice is ToolChoice.Required or ToolChoice.Named)
        {
            // A call we must enforce needs every schema it may use to be enforceable: say which one is not now.
            var parameters = flat ? "parameters" : "function.parameters";
            for (var i = 0; i < definitions.Count; i++)
                if (choice == ToolChoice.Required || definitions[i].Name == name) CheckEnforceable(definitions[i], $"{r.Name("tools")}[{i}].{parameters}");
        }
        return new ToolUse(tools, definitions, choice, name, parallel);
    }

    /// <summary>
    /// The tool-call format to parse <paramref name="model"/>'s replies with (null: no tools in play), and for required or named
    /// choices the constraint that enforces a call, set on <paramref name="parameters"/>; an output format (named
    /// <paramref name="formatParam"/>) beside a forced call is a 400.
    /// </summary>
    public static ToolCallParsing? CallsFor(ToolUse? tools, ResidentModel model, ref GenerationParameters parameters, string formatParam)
    {
        if (tools is null || tools.Choice == ToolChoice.None) return null;
        var format = tools.FormatFor(model);
        if (tools.Choice is (ToolChoice.Required or ToolChoice.Named) && !ToolCallConstraint.CanEnforce(format))
            throw ApiException.Unsupported("tool_choice", $"a call cannot be forced for '{model.Name}', whose template writes {format} tool calls "
                + "(arguments as tagged text or Python literals, which a JSON schema constraint does not describe); use \"auto\"");
        if (tools.Constraint(format) is { } constraint)
        {
            if (parameters.Constraint is not null)
                throw ApiException.BadParameter(formatParam, $"'{formatParam}' cannot be combined with a 'tool_choice' that forces a call");
            parameters = parameters with { Constraint = constraint };
        }
        return new ToolCallParsing(format, tools.Parallel, tools.Definitions);
    }

    /// <summary>The tool-call format of <paramref name="model"/>'s template, or a 400 when its template teaches none.</summary>
    public ToolCallFormat FormatFor(ResidentModel model)
    {
        var templates = model.Model.ChatTemplates;
        var source = templates?.GetTemplate(hasTools: true).Source;
        return (source is null ? null : ToolCallFormats.FromChatTemplate(source)) ?? throw new ApiException(400,
            $"the chat template of '{model.Name}' has no tool-call syntax this server knows (Hermes/Qwen <tool_call>, Llama 3.1 JSON, Mistral [TOOL_CALLS], "
            + "gpt-oss harmony, DeepSeek R1/V3.1, Kimi-K2, Qwen3-Coder XML, GLM-4.5, Granite <|tool_call|>, Command-R7B actions, Functionary v3.2 >>>, "
            + "LFM2, pythonic Llama, MiniMax-M2, Seed-OSS, Nemotron Nano v2 <TOOLCALL>, Apertus, Phi-4-mini); send the request without 'tools'",
            param: "tools", code: "tools_not_supported");
    }

    /// <summary>For required or named choices, a constraint that only lets the model write valid calls; null otherwise.</summary>
    public Func<LoadedModel, ITokenConstraint>? Constraint(ToolCallFormat format)
    {
        if (Choice is not (ToolChoice.Required or ToolChoice.Named)) return null;
        var allowed = Choice == ToolChoice.Named ? Definitions.Where(d => d.Name == FunctionName).ToArray() : Definitions;
        return model => ToolCallConstraint.Create(allowed, format, model.RequireTokenizer(), Parallel, model.EosTokenIds);
    }

    private static (JsonArray Tools, List<ToolDefinition> Definitions) ReadTools(JsonArray list, string path, bool flat)
    {
        if (list.Count > MaxTools) throw ApiException.BadParameter(path, $"'{path}' takes at most {MaxTools} tools");
        var tools = new JsonArray();
        var definitions = new List<ToolDefinition>(list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (list[i] is not JsonObject item)
                throw ApiException.BadParameter(at, flat ? $"'{at}' must be an object {{\"type\": \"function\", \"name\": …}}"
                    : $"'{at}' must be an object {{\"type\": \"function\", \"function\": {{…}}}}");
            var tool = new JsonRequest(item, at + ".");
            var type = flat ? tool.RequiredString("type") : tool.String("type") ?? "function";
            if (type != "function")
                throw ApiException.Unsupported(tool.Name("type"), $"tools of type \"{type}\" (only \"function\" tools are understood)");
            var function = flat ? tool : tool.Nested("function") ?? throw new ApiException(400, $"'{tool.Name("function")}' is required",
                param: tool.Name("function"), code: "missing_required_parameter");
            if (!flat) tool.RejectUnknown();
            var name = function.RequiredString("name");
            if (!FunctionNamePattern().IsMatch(name))
                throw ApiException.BadParameter(function.Name("name"), $"'{function.Name("name")}' must be 1 to 64 letters, digits, '_' or '-' (got \"{name}\")");
            if (definitions.Any(d => d.Name == name))
                throw ApiException.BadParameter(function.Name("name"), $"'{function.Name("name")}': the function '{name}' is defined twice");
            function.String("description");
            function.Bool("strict");
            var parameters = function.Node("parameters");
            if (parameters is not null and not JsonObject)
                throw ApiException.BadParameter(function.Name("parameters"), $"'{function.Name("parameters")}' must be a JSON schema object");
            function.RejectUnknown();
            using var schema = JsonDocument.Parse(parameters?.ToJsonString() ?? """{"type":"object","properties":{}}""");
            definitions.Add(new ToolDefinition(name, schema.RootElement.Clone()));
            var body = (JsonObject)function.Body.DeepClone();
            body.Remove("type");
            tools.Add((JsonNode)new JsonObject { ["type"] = "function", ["function"] = body });
        }
        return (tools, definitions);
    }

    // "none" | "auto" | "required" | {"type": "function", "function": {"name": …}}, or flat {"type": "function", "name": …}
    private static (ToolChoice Choice, string? Name) ReadChoice(JsonNode? node, string path, List<ToolDefinition> definitions, bool flat)
    {
        if (node is null) return (definitions.Count > 0 ? ToolChoice.Auto : ToolChoice.None, null);
        var shape = flat ? "{\"type\": \"function\", \"name\": …}" : "{\"type\": \"function\", \"function\": {\"name\": …}}";
        if (JsonValues.IsString(node))
        {
            var choice = node.GetValue<string>() switch
            {
                "none" => ToolChoice.None,
                "auto" => ToolChoice.Auto,
                "required" => ToolChoice.Required,
                var other => throw ApiException.BadParameter(path, $"'{path}' must be \"none\", \"auto\", \"required\" or {shape} (got \"{other}\")"),
            };
            if (choice == ToolChoice.Required && definitions.Count == 0)
                throw ApiException.BadParameter(path, $"'{path}' is \"required\" but the request has no 'tools'");
            return (choice, null);
        }
        if (node is not JsonObject o) throw ApiException.BadParameter(path, $"'{path}' must be a string or {shape}");
        var r = new JsonRequest(o, path + ".");
        var type = r.RequiredString("type");
        if (type != "function")
            throw flat ? ApiException.Unsupported(r.Name("type"), $"tool choices of type \"{type}\" (only \"function\" is understood)")
                : ApiException.BadParameter(r.Name("type"), $"'{r.Name("type")}' must be \"function\"");
        var function = flat ? r : r.Nested("function") ?? throw new ApiException(400, $"'{r.Name("function")}' is required", param: r.Name("function"),
            code: "missing_required_parameter");
        if (!flat) r.RejectUnknown();
        var name = function.RequiredString("name");
        function.RejectUnknown();
        if (!definitions.Any(d => d.Name == name))
            throw ApiException.BadParameter(function.Name("name"), $"'{function.Name("name")}' names '{name}', which is not one of the request's tools");
        return (ToolChoice.Named, name);
    }

    private static void CheckEnforceable(ToolDefinition tool, string param)
    {
        try
        {
            JsonSchemaConstraint.Validate(tool.Parameters);
        }
        catch (UnsupportedSchemaException e)
        {
            throw new ApiException(400, $"'{param}': {e.Message}", param: param, code: "unsupported_schema", inner: e);
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex FunctionNamePattern();
}
