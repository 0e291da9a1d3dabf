using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Moxing.Text.Templates;

/// <summary>
/// Where a model's chat templates and special tokens come from: a Hugging Face model folder
/// (<c>chat_template.jinja</c>, <c>additional_chat_templates/</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>)
/// or a raw template string (GGUF <c>tokenizer.chat_template</c>). Selects the template as transformers does.
/// </summary>
public sealed class ChatTemplateSource
{
    /// <summary>The name of the main template.</summary>
    public const string DefaultName = "default";

    /// <summary>The name of the template transformers picks when tools are given.</summary>
    public const string ToolUseName = "tool_use";

    private static readonly string[] SpecialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private readonly ConcurrentDictionary<string, ChatTemplate> _parsed = new(StringComparer.Ordinal);

    private ChatTemplateSource(IReadOnlyDictionary<string, string> templates, IReadOnlyDictionary<string, object?> specialTokens, string origin)
    {
        Templates = templates;
        SpecialTokens = specialTokens;
        Origin = origin;
    }

    /// <summary>Template sources by name (<see cref="DefaultName"/>, <see cref="ToolUseName"/>, …).</summary>
    public IReadOnlyDictionary<string, string> Templates { get; }

    /// <summary>Special tokens passed to every render (<c>bos_token</c>, <c>eos_token</c>, …; <c>additional_special_tokens</c> as a list).</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokens { get; }

    /// <summary>Where the templates were read from, for messages.</summary>
    public string Origin { get; }

    /// <summary>The limits used when parsing and rendering.</summary>
    public TemplateLimits Limits { get; init; } = TemplateLimits.Default;

    /// <summary>The clock behind <c>strftime_now</c>.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>A single template (e.g. GGUF <c>tokenizer.chat_template</c>) with optional BOS/EOS token text.</summary>
    public static ChatTemplateSource FromTemplate(string template, string? bosToken = null, string? eosToken = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (bosToken is not null) tokens["bos_token"] = bosToken;
        if (eosToken is not null) tokens["eos_token"] = eosToken;
        return new ChatTemplateSource(new Dictionary<string, string> { [DefaultName] = template }, tokens, "template string");
    }

    /// <summary>Named templates (GGUF <c>tokenizer.chat_template.&lt;name&gt;</c>) with the special tokens to pass.</summary>
    public static ChatTemplateSource FromTemplates(IReadOnlyDictionary<string, string> templates, IReadOnlyDictionary<string, object?>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(templates);
        return new ChatTemplateSource(new Dictionary<string, string>(templates, StringComparer.Ordinal),
            new Dictionary<string, object?>(specialTokens ?? new Dictionary<string, object?>(), StringComparer.Ordinal), "templates");
    }

    /// <summary>Reads a Hugging Face model or tokenizer folder.</summary>
    public static ChatTemplateSource FromDirectory(string directory)
    {
        if (!Directory.Exists(directory)) throw new TemplateException($"model folder '{directory}' does not exist");
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath)) ReadTokenizerConfig(configPath, templates, tokens);
        var mapPath = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(mapPath))
        {
            var map = ReadJsonObject(mapPath);
            foreach (var key in SpecialTokenKeys)
                if (!tokens.ContainsKey(key) && TokenText(map[key], mapPath, key) is { } text) tokens[key] = text;
        }
        var jinjaPath = Path.Combine(directory, "chat_template.jinja");
        if (File.Exists(jinjaPath))
        {
            templates.Remove(ToolUseName);
            templates[DefaultName] = File.ReadAllText(jinjaPath);
        }
        var additional = Path.Combine(directory, "additional_chat_templates");
        if (Directory.Exists(additional))
            foreach (var file in Directory.EnumerateFiles(additional, "*.jinja").Order(StringComparer.Ordinal))
                templates[Path.GetFileNameWithoutExtension(file)] = File.ReadAllText(file);
        var processorPath = Path.Combine(directory, "chat_template.json");
        if (templates.Count == 0 && File.Exists(processorPath) && ReadJsonObject(processorPath)["chat_template"] is JsonValue processorTemplate)
            templates[DefaultName] = processorTemplate.GetValue<string>();
        if (templates.Count == 0)
            throw new TemplateException($"no chat template in '{directory}': expected chat_template.jinja or a \"chat_template\" entry in tokenizer_config.json");
        return new ChatTemplateSource(templates, tokens, directory);
    }

    /// <summary>Reads the templates and special tokens of one <c>tokenizer_config.json</c>.</summary>
    public static ChatTemplateSource FromTokenizerConfig(string path)
    {
        var templates = new Dictionary<string, string>(StringComparer.Ordinal);
        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        ReadTokenizerConfig(path, templates, tokens);
        if (templates.Count == 0) throw new TemplateException($"'{path}' has no \"chat_template\" entry");
        return new ChatTemplateSource(templates, tokens, path);
    }

    private static void ReadTokenizerConfig(string path, Dictionary<string, string> templates, Dictionary<string, object?> tokens)
    {
        var config = ReadJsonObject(path);
        switch (config["chat_template"])
        {
            case null:
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                templates[DefaultName] = v.GetValue<string>();
                break;
            case JsonArray list:
                foreach (var entry in list)
                {
                    if (entry?["name"] is not JsonValue name || name.GetValueKind() != JsonValueKind.String ||
                        entry["template"] is not JsonValue template || template.GetValueKind() != JsonValueKind.String)
                        throw new TemplateException($"'{path}': each \"chat_template\" list entry needs string \"name\" and \"template\" fields");
                    templates[name.GetValue<string>()] = template.GetValue<string>();
                }
                break;
            default:
                throw new TemplateException($"'{path}': \"chat_template\" must be a string or a list of {{name, template}} objects");
        }
        foreach (var key in SpecialTokenKeys)
            if (TokenText(config[key], path, key) is { } text) tokens[key] = text;
        if (config["additional_special_tokens"] is JsonArray extra)
            tokens["additional_special_tokens"] = extra.Select((t, i) => TokenText(t, path, $"additional_special_tokens[{i}]")).Where(t => t is not null).ToList();
    }

    /// <summary>A special token as a string, or as the <c>content</c> of a serialized AddedToken.</summary>
    private static string? TokenText(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
        _ => throw new TemplateException($"'{path}': \"{key}\" must be a string or an object with a string \"content\""),
    };

    private static JsonObject ReadJsonObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                   ?? throw new TemplateException($"'{path}' must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new TemplateException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new TemplateException($"cannot read '{path}': {e.Message}", e);
        }
    }

    /// <summary>
    /// The template transformers would use: <paramref name="name"/> if given, else <c>tool_use</c> when tools are given
    /// and it exists, else <c>default</c>.
    /// </summary>
    public ChatTemplate GetTemplate(bool hasTools = false, string? name = null)
    {
        var chosen = name ?? (hasTools && Templates.ContainsKey(ToolUseName) ? ToolUseName : DefaultName);
        if (!Templates.TryGetValue(chosen, out var source))
        {
            throw new TemplateException(name is not null
                ? $"{Origin}: no chat template named '{name}' (available: {string.Join(", ", Templates.Keys)})"
                : $"{Origin}: this model has multiple chat templates with no default specified (available: {string.Join(", ", Templates.Keys)})");
        }
        return _parsed.GetOrAdd(chosen, _ => ChatTemplate.Parse(source, Limits).WithClock(Clock));
    }

    /// <summary>Renders a conversation with the selected template, passing the special tokens; <paramref name="extraVariables"/> override them.</summary>
    public string Render(JsonNode? messages, JsonNode? tools, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extraVariables = null,
        string? templateName = null)
    {
        var variables = new Dictionary<string, object?>(SpecialTokens, StringComparer.Ordinal);
        if (extraVariables is not null)
            foreach (var (key, value) in extraVariables) variables[key] = value;
        var template = GetTemplate(tools is not null, templateName);
        return template.Render(messages, tools, addGenerationPrompt, variables);
    }
}
