using System.Text;
using System.Text.Json.Nodes;
using Moxing.Text.Templates;

namespace Moxing.Fuzz.Targets;

/// <summary>The Jinja chat-template parser and sandboxed renderer, given a conversation with tools, tool calls and tool results, and a plain one.</summary>
public sealed class TemplateTarget : FuzzTarget
{
    private static readonly JsonNode Messages = JsonNode.Parse("""
        [{"role":"system","content":"Be brief."},{"role":"user","content":"What is 2+2? <b>&</b>"},
         {"role":"assistant","content":"","tool_calls":[{"id":"call00001","type":"function","function":{"name":"add","arguments":{"a":2,"b":2}}}]},
         {"role":"tool","tool_call_id":"call00001","name":"add","content":"4"},{"role":"assistant","content":"4"},{"role":"user","content":"Thanks"}]
        """)!;

    private static readonly JsonNode Plain = JsonNode.Parse("""
        [{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}]
        """)!;

    private static readonly JsonNode Tools = JsonNode.Parse("""
        [{"type":"function","function":{"name":"add","description":"Adds","parameters":{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},"required":["a","b"]}}}]
        """)!;

    private static readonly Dictionary<string, object?> Variables = new() { ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["enable_thinking"] = false };

    public override string Name => "template";

    public override void Run(byte[] input)
    {
        var template = ChatTemplate.Parse(Encoding.UTF8.GetString(input));
        template.Render(Messages, Tools, addGenerationPrompt: true, Variables);
        template.Render(Plain, null, addGenerationPrompt: false, Variables);
    }

    public override bool IsExpected(Exception e) => e is TemplateException;

    // The fixture models' templates and the model templates the template tests render.
    public override IEnumerable<(string Name, byte[] Data)> Seeds(string repository)
    {
        var folders = new[] { Path.Combine(Fixtures(repository), "hf"), Path.Combine(repository, "tests", "Moxing.Text.Tests", "Templates", "Data") };
        foreach (var path in folders.SelectMany(f => Directory.EnumerateFiles(f, "*.jinja", SearchOption.AllDirectories)).Order())
            yield return (Path.GetFileName(Path.GetDirectoryName(path)!) + "-" + Path.GetFileName(path), File.ReadAllBytes(path));
    }
}
