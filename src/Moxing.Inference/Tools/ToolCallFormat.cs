namespace Moxing.Inference.Tools;

/// <summary>How a model family writes tool calls in its output.</summary>
public enum ToolCallFormat
{
    /// <summary>Qwen / Hermes: &lt;tool_call&gt;{"name":…,"arguments":{…}}&lt;/tool_call&gt;, several in a row.</summary>
    Hermes,
    /// <summary>Llama 3.1/3.2: a bare {"name":…,"parameters":{…}} JSON object, optionally after &lt;|python_tag|&gt;.</summary>
    Llama3Json,
    /// <summary>Mistral: [TOOL_CALLS][{"name":…,"arguments":{…}}] or the newer [TOOL_CALLS]name[ARGS]{…}.</summary>
    Mistral,
    /// <summary>gpt-oss harmony: a message to <c>functions.NAME</c> whose body is the arguments, ended by &lt;|call|&gt;. The
    /// reply's message structure delimits the calls (<see cref="Reasoning.HarmonySplitter"/>), so its text holds none.</summary>
    Harmony,
}

/// <summary>Picks the tool-call format from a chat template's text.</summary>
public static class ToolCallFormats
{
    /// <summary>The format the template teaches the model, or null when it has no tool-call syntax we know.</summary>
    public static ToolCallFormat? FromChatTemplate(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (Reasoning.HarmonySplitter.Speaks(template) && template.Contains("<|call|>", StringComparison.Ordinal)) return ToolCallFormat.Harmony;
        if (template.Contains("<tool_call>", StringComparison.Ordinal)) return ToolCallFormat.Hermes;
        if (template.Contains("[TOOL_CALLS]", StringComparison.Ordinal)) return ToolCallFormat.Mistral;
        if (template.Contains("<|python_tag|>", StringComparison.Ordinal) || template.Contains("ipython", StringComparison.Ordinal)) return ToolCallFormat.Llama3Json;
        return null;
    }
}
