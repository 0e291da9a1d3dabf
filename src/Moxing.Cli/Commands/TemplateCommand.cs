using System.Text.Json;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing template MODEL --messages FILE.json`: a conversation rendered with the model's chat template.</summary>
public sealed class TemplateCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "template";

    /// <inheritdoc />
    public string Summary => "render a conversation with the model's chat template";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing template MODEL --messages FILE.json [--tools FILE.json] [--add-generation-prompt] [--var KEY=JSON] [--json]
          MODEL                    a Hugging Face model folder, a GGUF file, or a tokenizer_config.json
          --messages               JSON file: a list of {"role", "content", …} messages (or {"messages": […], "tools": […]})
          --tools                  JSON file: a list of tool definitions
          --add-generation-prompt  end with the assistant's turn header
          --var KEY=JSON           extra template variable, e.g. --var enable_thinking=false (repeat with commas: a=1,b="x")
          --json                   print {"text": …} instead of the raw text
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "add-generation-prompt", "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var messagesPath = args.Option("messages") ?? throw new UsageException("--messages is required");
        var toolsPath = args.Option("tools");
        var generationPrompt = args.Flag("add-generation-prompt");
        var variables = TemplateVariables.Parse(args.Option("var"));
        var json = args.Flag("json");
        args.RejectUnknown();
        var messages = ReadJson(messagesPath);
        JsonNode? tools = toolsPath == null ? null : ReadJson(toolsPath);
        if (messages is JsonObject wrapper)
        {
            tools ??= wrapper["tools"]?.DeepClone();
            messages = wrapper["messages"]?.DeepClone() ?? throw new UsageException($"{messagesPath}: expected a list of messages or an object with \"messages\"");
        }
        var text = ModelLoader.LoadChatTemplates(path).Render(messages, tools, generationPrompt, variables);
        if (json)
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("text", text);
                w.WriteEndObject();
            });
        else context.Out.Write(text);
        return 0;
    }

    private static JsonNode? ReadJson(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new MoxingException($"{path}: malformed JSON: {e.Message}"); }
    }
}
