using System.Text.Json.Nodes;
using Moxing.Text.Templates.Runtime;
using Moxing.Text.Templates.Syntax;

namespace Moxing.Text.Templates;

/// <summary>
/// A parsed Jinja chat template that renders conversations exactly as Hugging Face transformers'
/// <c>apply_chat_template</c> does (sandboxed jinja2, <c>trim_blocks</c>, <c>lstrip_blocks</c>, loop controls,
/// <c>raise_exception</c>, <c>strftime_now</c> and transformers' <c>tojson</c>). Parse once; rendering is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private readonly Stmt[] _body;

    private ChatTemplate(string source, Stmt[] body, TemplateLimits limits, TimeProvider clock)
    {
        Source = source;
        _body = body;
        Limits = limits;
        Clock = clock;
    }

    /// <summary>The template source text.</summary>
    public string Source { get; }

    /// <summary>The bounds applied to every render.</summary>
    public TemplateLimits Limits { get; }

    /// <summary>The clock behind <c>strftime_now</c> (local time, like Python's <c>datetime.now()</c>).</summary>
    public TimeProvider Clock { get; }

    /// <summary>The same template with another clock for <c>strftime_now</c> (tests, fixed dates).</summary>
    public ChatTemplate WithClock(TimeProvider clock) => new(Source, _body, Limits, clock);

    /// <summary>Parses <paramref name="source"/>; syntax errors throw <see cref="TemplateException"/> with the line and column.</summary>
    public static ChatTemplate Parse(string source, TemplateLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        limits ??= TemplateLimits.Default;
        return new ChatTemplate(source, Parser.Parse(source, limits), limits, TimeProvider.System);
    }

    /// <summary>
    /// Renders a conversation: <c>messages</c>, <c>tools</c> (none when null), <c>documents</c> (none) and
    /// <c>add_generation_prompt</c>, plus <paramref name="extraVariables"/> such as <c>bos_token</c>, <c>eos_token</c>
    /// or <c>enable_thinking</c>, which override the others.
    /// </summary>
    public string Render(JsonNode? messages, JsonNode? tools, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extraVariables = null)
    {
        var variables = new Dictionary<string, Value>(StringComparer.Ordinal)
        {
            ["messages"] = ValueConverter.FromJson(messages),
            ["tools"] = ValueConverter.FromJson(tools),
            ["documents"] = NoneValue.Instance,
            ["add_generation_prompt"] = BoolValue.Of(addGenerationPrompt),
        };
        if (extraVariables is not null)
            foreach (var (name, value) in extraVariables) variables[name] = ValueConverter.FromObject(value);
        return RenderValues(variables);
    }

    /// <summary>Renders with exactly the given variables (plain jinja2 rendering, no chat defaults).</summary>
    public string RenderVariables(IReadOnlyDictionary<string, object?> variables)
    {
        var values = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (name, value) in variables) values[name] = ValueConverter.FromObject(value);
        return RenderValues(values);
    }

    private string RenderValues(IReadOnlyDictionary<string, Value> variables) => new Renderer(Limits, Clock).Render(_body, variables);
}
