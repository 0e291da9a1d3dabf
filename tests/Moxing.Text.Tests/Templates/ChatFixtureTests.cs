using Moxing.Text.Templates;
using System.Text.Json.Nodes;
using Moxing.Tests;

namespace Moxing.Text.Tests.Templates;

/// <summary>Every case of tests/fixtures/hf/chat/*.json, rendered with its tokenizer_config.json, must match transformers exactly.</summary>
public class ChatFixtureTests
{
    public static TheoryData<string> FixtureNames()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Fixtures.Path("hf", "chat"), "*.json").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void RendersEveryCaseLikeTransformers(string name)
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Fixtures.Path("hf", "chat", name + ".json")))!;
        var source = ChatTemplateSource.FromDirectory(Fixtures.Path("hf", "tokenizer-files", name));
        var cases = fixture["cases"]!.AsArray();
        Assert.NotEmpty(cases);
        foreach (var c in cases)
        {
            var messages = c!["messages"];
            var tools = c["tools"];
            var generation = c["add_generation_prompt"]!.GetValue<bool>();
            if (c["text"] is null)
            {
                var error = Assert.Throws<TemplateException>(() => source.Render(messages, tools, generation));
                Assert.Equal(c["error"]!.GetValue<string>(), error.Message);
                continue;
            }
            Assert.Equal(c["text"]!.GetValue<string>(), source.Render(messages, tools, generation));
        }
    }

    [Fact]
    public void FixtureSpecialTokensComeFromTokenizerConfig()
    {
        var llama = ChatTemplateSource.FromDirectory(Fixtures.Path("hf", "tokenizer-files", "llama3_1"));
        Assert.Equal("<|begin_of_text|>", llama.SpecialTokens["bos_token"]);
        Assert.Equal("<|eot_id|>", llama.SpecialTokens["eos_token"]);
        var qwen = ChatTemplateSource.FromDirectory(Fixtures.Path("hf", "tokenizer-files", "qwen3"));
        Assert.False(qwen.SpecialTokens.ContainsKey("bos_token"));
        Assert.Equal("<|endoftext|>", qwen.SpecialTokens["pad_token"]);
    }

    [Fact]
    public void Qwen3FixtureTemplateHandlesThinkingAndTools()
    {
        var source = ChatTemplateSource.FromDirectory(Fixtures.Path("hf", "tokenizer-files", "qwen3"));
        var messages = JsonNode.Parse("""
            [{"role": "user", "content": "2+2?"},
             {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4"},
             {"role": "user", "content": "weather?"},
             {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "content": "sunny"}]
            """);
        var tools = JsonNode.Parse("""[{"type": "function", "function": {"name": "get_weather"}}]""");
        var text = source.Render(messages, tools, true, new Dictionary<string, object?> { ["enable_thinking"] = false });
        const string expected =
            "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}\n</tools>\n\n" +
            "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n2+2?<|im_end|>\n" +
            // Before the last user query the reasoning is dropped.
            "<|im_start|>assistant\n4<|im_end|>\n" +
            "<|im_start|>user\nweather?<|im_end|>\n" +
            // After it, an assistant turn with no reasoning that is not the last message gets no <think> block.
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\nsunny\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n<think>\n\n</think>\n\n";
        Assert.Equal(expected, text);
    }
}
