using System.Text.Json.Nodes;
using Moxing.Text.Templates;

namespace Moxing.Text.Tests.Templates;

/// <summary>
/// Real chat templates of the families the product serves, with expected prompts derived by reading each template
/// (comments say which branch produces each part).
/// </summary>
public class ModelTemplateTests
{
    private const string WeatherTool = """
        [{"type": "function", "function": {"name": "get_weather", "description": "Get weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}]
        """;

    private static string Render(string file, string messages, bool generation, string? tools = null, Dictionary<string, object?>? extra = null,
        TimeProvider? clock = null)
    {
        var template = TemplateData.Load(file);
        if (clock is not null) template = template.WithClock(clock);
        return template.Render(JsonNode.Parse(messages), tools is null ? null : JsonNode.Parse(tools), generation, extra);
    }

    private static Dictionary<string, object?> Tokens(string bos, string eos) => new() { ["bos_token"] = bos, ["eos_token"] = eos };

    [Fact]
    public void MistralV03PutsToolsBeforeTheLastUserTurnAndSystemIntoIt()
    {
        var text = Render("mistralai-Mistral-7B-Instruct-v0.3.jinja", """
            [{"role": "system", "content": "Be brief."},
             {"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "tool_calls": [{"id": "abc123def", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "tool_call_id": "abc123def", "content": "22C"},
             {"role": "assistant", "content": "It is 22C. "},
             {"role": "user", "content": "Thanks"}]
            """, true, WeatherTool, Tokens("<s>", "</s>"));
        const string expected =
            "<s>[INST] Weather in Paris?[/INST]" +
            // The tool call is the function JSON minus its closing brace, plus the id.
            "[TOOL_CALLS] [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"abc123def\"}]</s>" +
            // content|string of a plain string is the string itself, unquoted.
            "[TOOL_RESULTS] {\"content\": 22C, \"call_id\": \"abc123def\"}[/TOOL_RESULTS]" +
            " It is 22C.</s>" +
            "[AVAILABLE_TOOLS] [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", " +
            "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}][/AVAILABLE_TOOLS]" +
            "[INST] Be brief.\n\nThanks[/INST]";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void MistralV03RejectsBadToolCallIds()
    {
        var error = Assert.Throws<TemplateException>(() => Render("mistralai-Mistral-7B-Instruct-v0.3.jinja", """
            [{"role": "user", "content": "x"},
             {"role": "assistant", "tool_calls": [{"id": "short", "function": {"name": "f", "arguments": {}}}]}]
            """, false, null, Tokens("<s>", "</s>")));
        Assert.Equal("Tool call IDs should be alphanumeric strings with length 9!", error.Message);
        Assert.True(error.RaisedByTemplate);
    }

    [Fact]
    public void MistralNemoHasNoSpacesAroundInstructions()
    {
        var text = Render("mistralai-Mistral-Nemo-Instruct-2407.jinja", """
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]
            """, true, null, Tokens("<s>", "</s>"));
        Assert.Equal("<s>[INST]Hi[/INST]Hello!</s>[INST]Bye[/INST]", text);
    }

    [Fact]
    public void MistralNemoRequiresAlternatingRoles()
    {
        var error = Assert.Throws<TemplateException>(() => Render("mistralai-Mistral-Nemo-Instruct-2407.jinja",
            """[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]""", true, null, Tokens("<s>", "</s>")));
        Assert.Equal("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }

    [Fact]
    public void Gemma2TrimsContentAndCallsTheAssistantModel()
    {
        var text = Render("google-gemma-2-2b-it.jinja", """
            [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": " Hello \n"}, {"role": "user", "content": "Bye"}]
            """, true, null, Tokens("<bos>", "<eos>"));
        Assert.Equal("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n" +
                     "<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n", text);
        var error = Assert.Throws<TemplateException>(() => Render("google-gemma-2-2b-it.jinja",
            """[{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]""", true, null, Tokens("<bos>", "<eos>")));
        Assert.Equal("System role not supported", error.Message);
    }

    [Fact]
    public void Phi35EndsWithEosWithoutGenerationPrompt()
    {
        const string messages = """[{"role": "system", "content": "Sys"}, {"role": "user", "content": "Hi"}]""";
        Assert.Equal("<|system|>\nSys<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n",
            Render("microsoft-Phi-3.5-mini-instruct.jinja", messages, true, null, Tokens("<s>", "<|endoftext|>")));
        Assert.Equal("<|system|>\nSys<|end|>\n<|user|>\nHi<|end|>\n<|endoftext|>",
            Render("microsoft-Phi-3.5-mini-instruct.jinja", messages, false, null, Tokens("<s>", "<|endoftext|>")));
    }

    [Fact]
    public void Phi3MiniOpensTheAssistantAfterEveryUserTurn()
    {
        var text = Render("microsoft-Phi-3-mini-4k-instruct.jinja", """
            [{"role": "system", "content": "ignored"}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}, {"role": "user", "content": "Bye"}]
            """, false, null, Tokens("<s>", "<|endoftext|>"));
        Assert.Equal("<s><|user|>\nHi<|end|>\n<|assistant|>\nHello<|end|>\n<|user|>\nBye<|end|>\n<|assistant|>\n", text);
    }

    [Fact]
    public void ChatMlWrapsEveryTurn()
    {
        var text = Render("teknium-OpenHermes-2.5-Mistral-7B-chatml.jinja",
            """[{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]""", true);
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Qwen25AddsItsDefaultSystemPrompt()
    {
        var text = Render("Qwen-Qwen2.5-7B-Instruct.jinja", """[{"role": "user", "content": "Hi"}]""", true);
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
                     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", text);
    }

    [Fact]
    public void Qwen25RendersToolsCallsAndGroupedResponses()
    {
        var text = Render("Qwen-Qwen2.5-7B-Instruct.jinja", """
            [{"role": "user", "content": "Weather in Paris?"},
             {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "content": "22C"},
             {"role": "tool", "content": "dry"}]
            """, true, WeatherTool);
        const string expected =
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n" +
            "You may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get weather\", \"parameters\": " +
            "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}\n</tools>\n\n" +
            "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
            // Empty content adds nothing before the call.
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            // Consecutive tool results share one user turn.
            "<|im_start|>user\n<tool_response>\n22C\n</tool_response>\n<tool_response>\ndry\n</tool_response><|im_end|>\n" +
            "<|im_start|>assistant\n";
        Assert.Equal(expected, text);
    }

    [Fact]
    public void Llama31UsesTheDefaultDateAndSystemMessage()
    {
        var text = Render("meta-llama-Llama-3.1-8B-Instruct.jinja",
            """[{"role": "system", "content": " You are helpful. "}, {"role": "user", "content": "Hi"}]""", true, null,
            Tokens("<|begin_of_text|>", "<|eot_id|>"));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
                     "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
                     "You are helpful.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Llama31PutsToolsIntoTheFirstUserMessage()
    {
        var extra = Tokens("<|begin_of_text|>", "<|eot_id|>");
        extra["date_string"] = "01 Jan 2025";
        var text = Render("meta-llama-Llama-3.1-8B-Instruct.jinja", """[{"role": "user", "content": "Weather in Paris?"}]""", true,
            """[{"type": "function", "function": {"name": "get_weather", "parameters": {"required": ["city"]}}}]""", extra);
        const string toolJson = """
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {
                        "required": [
                            "city"
                        ]
                    }
                }
            }
            """;
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n" +
                     "Cutting Knowledge Date: December 2023\nToday Date: 01 Jan 2025\n\n<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\n" +
                     "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\n" +
                     "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n" +
                     toolJson + "\n\nWeather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Llama31RendersToolCallAndIpythonResult()
    {
        var text = Render("meta-llama-Llama-3.1-8B-Instruct.jinja", """
            [{"role": "user", "content": "Weather?"},
             {"role": "assistant", "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "content": "{\"temp\": 21}"}]
            """, true, null, Tokens("<|begin_of_text|>", "<|eot_id|>"));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
                     "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nWeather?<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|>" +
                     // A string is iterable, so the template JSON-encodes the tool output.
                     "<|start_header_id|>ipython<|end_header_id|>\n\n\"{\\\"temp\\\": 21}\"<|eot_id|>" +
                     "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void Llama32TakesTodayFromStrftimeNow()
    {
        var text = Render("meta-llama-Llama-3.2-3B-Instruct.jinja", """[{"role": "user", "content": "Hi"}]""", true, null,
            Tokens("<|begin_of_text|>", "<|eot_id|>"), new FixedClock(new DateTime(2025, 3, 5, 9, 30, 0)));
        Assert.Equal("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" +
                     "Cutting Knowledge Date: December 2023\nToday Date: 05 Mar 2025\n\n<|eot_id|>" +
                     "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", text);
    }

    [Fact]
    public void DeepSeekR1DistillDropsReasoningFromHistory()
    {
        var text = Render("deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja", """
            [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"},
             {"role": "assistant", "content": "<think>x</think>Answer"}, {"role": "user", "content": "More"}]
            """, true, null, Tokens("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"));
        Assert.Equal("<｜begin▁of▁sentence｜>S<｜User｜>Hi<｜Assistant｜>Answer<｜end▁of▁sentence｜><｜User｜>More<｜Assistant｜>", text);
    }

    [Fact]
    public void SmolLm2FolderAddsTheDefaultSystemPromptOnlyWithoutOne()
    {
        var source = ChatTemplateSource.FromDirectory(Path.Combine(TemplateData.Directory, "smollm2"));
        Assert.Equal("<|im_start|>", source.SpecialTokens["bos_token"]);
        Assert.Equal("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n" +
                     "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            source.Render(JsonNode.Parse("""[{"role": "user", "content": "Hi"}]"""), null, true));
        Assert.Equal("<|im_start|>system\nOwn<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n",
            source.Render(JsonNode.Parse("""[{"role": "system", "content": "Own"}, {"role": "user", "content": "Hi"}]"""), null, false));
    }

    [Fact]
    public void MistralSmall32ParsesAndRendersAPlainTurn()
    {
        var text = Render("Mistral-Small-3.2-24B-Instruct-2506.jinja", """[{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}]""", true,
            null, Tokens("<s>", "</s>"));
        Assert.Equal("<s>[SYSTEM_PROMPT]S[/SYSTEM_PROMPT][INST]Hi[/INST]", text);
    }
}

internal sealed class FixedClock(DateTime local) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => new(DateTime.SpecifyKind(local, DateTimeKind.Utc));
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
