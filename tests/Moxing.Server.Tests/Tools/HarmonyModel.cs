namespace Moxing.Server.Tests.Tools;

// Copies of the Qwen3 fixture that speak harmony (gpt-oss's message format) through a small gpt-oss-shaped chat template:
// messages as <|start|>ROLE<|message|>TEXT, tools in a developer message, earlier calls as
// <|start|>assistant to=functions.NAME<|channel|>commentary json<|message|>ARGS<|call|>, results as functions messages.
public static class HarmonyModel
{
    // The harmony template; END closes a message (the scripted engine stops its script there).
    public static string Template(string end) =>
        "{%- if tools %}<|start|>developer<|message|># Tools\nnamespace functions {\n{%- for t in tools %}\ntype {{ t.function.name }} = (_: any) => any;"
        + "{%- endfor %}\n} // namespace functions" + end + "{%- endif %}"
        + "{%- for m in messages %}{%- if m.tool_calls %}<|start|>assistant to=functions.{{ m.tool_calls[0].function.name }}<|channel|>commentary json<|message|>"
        + "{{ m.tool_calls[0].function.arguments|tojson }}<|call|>"
        + "{%- elif m.role == 'tool' %}<|start|>functions to=assistant<|channel|>commentary<|message|>{{ m.content|tojson }}" + end
        + "{%- else %}<|start|>{{ m.role }}{% if m.thinking %}<|channel|>analysis<|message|>{{ m.thinking }}<|end|>{% endif %}"
        + "<|message|>{{ m.content }}" + end + "{%- endif %}{%- endfor %}{%- if add_generation_prompt %}<|start|>assistant{%- endif %}";

    // The control tokens of gpt-oss's o200k_harmony vocabulary.
    public static readonly string[] Markup = ["<|start|>", "<|end|>", "<|message|>", "<|channel|>", "<|constrain|>", "<|return|>", "<|call|>"];

    // Writes the copy of <paramref name="model"/> to <paramref name="path"/>; with <paramref name="controlTokens"/> seven of
    // Qwen3's unused control tokens become harmony's markup, as gpt-oss's tokenizer has it (else the markup is plain text).
    public static void Write(string model, string path, string end, bool controlTokens) =>
        TemplatedModel.Write(model, path, Template(end), controlTokens ? Markup : []);
}
