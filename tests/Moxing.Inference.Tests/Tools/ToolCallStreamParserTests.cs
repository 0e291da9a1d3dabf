using System.Text;
using System.Text.Json;
using Moxing.Inference.Tools;

namespace Moxing.Inference.Tests.Tools;

public class ToolCallStreamParserTests
{
    public static TheoryData<ToolCallFormat, string, string, string[]> Outputs => new()
    {
        {
            ToolCallFormat.Hermes,
            "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Europe/Paris\", \"nested\": {\"a\": [1, \"}\"]}}}\n</tool_call>",
            "Let me check.\n",
            ["get_weather|{\"city\":\"Paris\",\"unit\":\"c\"}", "get_time|{\"tz\":\"Europe/Paris\",\"nested\":{\"a\":[1,\"}\"]}}"]
        },
        {
            ToolCallFormat.Hermes,
            "No tools needed: 2 < 3 and <b>bold</b>.",
            "No tools needed: 2 < 3 and <b>bold</b>.",
            []
        },
        {
            ToolCallFormat.Hermes,
            "<tool_call>\n{\"arguments\": {\"q\": \"x\"}, \"name\": \"search\"}\n</tool_call>",
            "",
            ["search|{\"q\":\"x\"}"]
        },
        {
            ToolCallFormat.Llama3Json,
            "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"location\": \"San Francisco, CA\"}}",
            "",
            ["get_weather|{\"location\":\"San Francisco, CA\"}"]
        },
        {
            ToolCallFormat.Llama3Json,
            "{\"name\": \"add\", \"parameters\": {\"a\": 1, \"b\": 2}}; {\"name\": \"mul\", \"parameters\": {\"a\": 3, \"b\": 4}}",
            "",
            ["add|{\"a\":1,\"b\":2}", "mul|{\"a\":3,\"b\":4}"]
        },
        {
            ToolCallFormat.Llama3Json,
            "The answer is {x} in set notation.",
            "The answer is {x} in set notation.",
            []
        },
        {
            ToolCallFormat.Mistral,
            "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}, {\"name\": \"get_news\", \"arguments\": {\"topic\": \"[ARGS] in text\"}}]",
            "",
            ["get_weather|{\"city\":\"Lyon\"}", "get_news|{\"topic\":\"[ARGS] in text\"}"]
        },
        {
            ToolCallFormat.Mistral,
            "Sure.[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Nice\"}[TOOL_CALLS]get_time[ARGS]{}",
            "Sure.",
            ["get_weather|{\"city\":\"Nice\"}", "get_time|{}"]
        },
    };

    [Theory]
    [MemberData(nameof(Outputs))]
    public void EverySplitGivesTheSameContentAndCalls(ToolCallFormat format, string output, string content, string[] calls)
    {
        for (var cut = 0; cut <= output.Length; cut++)
            Check(format, [output[..cut], output[cut..]], content, calls);
        Check(format, [.. output.Select(c => c.ToString())], content, calls);
    }

    [Theory]
    [MemberData(nameof(Outputs))]
    public void WholeOutputParses(ToolCallFormat format, string output, string content, string[] calls)
    {
        var (text, parsed) = ToolCallStreamParser.Parse(format, output);
        Assert.Equal(content, text);
        Assert.Equal(calls, parsed.Select(c => $"{c.Name}|{Compact(c.Arguments)}"));
        Assert.All(parsed, c => Assert.StartsWith("call_", c.Id));
    }

    private static void Check(ToolCallFormat format, string[] pieces, string content, string[] calls)
    {
        var parser = new ToolCallStreamParser(format);
        var deltas = pieces.SelectMany(p => parser.Push(p)).Concat(parser.Finish()).ToList();
        var text = new StringBuilder();
        var names = new List<string>();
        var args = new List<StringBuilder>();
        foreach (var d in deltas)
        {
            if (d.IsContent)
            {
                text.Append(d.Content);
                continue;
            }
            if (d.Name is not null)
            {
                // A call's first delta carries id and name, in order, before any of its arguments.
                Assert.Equal(names.Count, d.Index);
                Assert.NotNull(d.Id);
                names.Add(d.Name);
                args.Add(new StringBuilder());
            }
            Assert.Equal(names.Count - 1, d.Index);
            args[d.Index].Append(d.Arguments);
        }
        Assert.Equal(content, text.ToString());
        Assert.Equal(calls, names.Select((n, i) => $"{n}|{Compact(args[i].ToString())}"));
    }

    private static string Compact(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);

    [Theory]
    [InlineData("{% for t in tools %}<tool_call>{{ t }}</tool_call>{% endfor %}", ToolCallFormat.Hermes)]
    [InlineData("{{ '[TOOL_CALLS]' }}", ToolCallFormat.Mistral)]
    [InlineData("{{- '<|start_header_id|>ipython<|end_header_id|>' }}", ToolCallFormat.Llama3Json)]
    public void FormatComesFromTheChatTemplate(string template, ToolCallFormat expected) =>
        Assert.Equal(expected, ToolCallFormats.FromChatTemplate(template));

    [Fact]
    public void RealQwen3TemplateIsHermes() =>
        Assert.Equal(ToolCallFormat.Hermes, ToolCallFormats.FromChatTemplate(File.ReadAllText(Moxing.Tests.Fixtures.Path("hf", "models", "qwen3-tiny-realvocab", "chat_template.jinja"))));
}
