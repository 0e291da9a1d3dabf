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
        {
            ToolCallFormat.DeepSeekR1,
            "I'll check both.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```<｜tool▁call▁end｜>\n" +
            "<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n```json\n{\"tz\": \"Europe/Paris\", \"fmt\": \"```\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "I'll check both.",
            ["get_weather|{\"city\":\"Paris\"}", "get_time|{\"tz\":\"Europe/Paris\",\"fmt\":\"\\u0060\\u0060\\u0060\"}"]
        },
        {
            ToolCallFormat.DeepSeekV31,
            "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": \"Zürich\"}<｜tool▁call▁end｜>" +
            "<｜tool▁call▁begin｜>search<｜tool▁sep｜>{\"query\": \"news\", \"limit\": 3}<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "",
            ["get_weather|{\"city\":\"Z\\u00FCrich\"}", "search|{\"query\":\"news\",\"limit\":3}"]
        },
        {
            // a call cut off mid-arguments stays text
            ToolCallFormat.DeepSeekV31,
            "Hm.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": <｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            "Hm.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": <｜tool▁call▁end｜><｜tool▁calls▁end｜>",
            []
        },
        {
            ToolCallFormat.KimiK2,
            "Checking.<|tool_calls_section_begin|><|tool_call_begin|>functions.get_weather:0<|tool_call_argument_begin|>{\"city\": \"Paris\"}<|tool_call_end|>" +
            "<|tool_call_begin|>functions.search:1<|tool_call_argument_begin|>{\"query\": \"a:b\"}<|tool_call_end|><|tool_calls_section_end|>",
            "Checking.",
            ["get_weather|{\"city\":\"Paris\"}", "search|{\"query\":\"a:b\"}"]
        },
        {
            // the model stopped before closing the section: the finished calls count
            ToolCallFormat.KimiK2,
            "<|tool_calls_section_begin|><|tool_call_begin|>functions.get_time:0<|tool_call_argument_begin|>{}<|tool_call_end|>",
            "",
            ["get_time|{}"]
        },
        {
            ToolCallFormat.Qwen3CoderXml,
            "Let me look.\n<tool_call>\n<function=get_weather>\n<parameter=city>\nSan Francisco\n</parameter>\n<parameter=days>\n3\n</parameter>\n</function>\n</tool_call>\n" +
            "<tool_call>\n<function=run>\n<parameter=code>\nif a < b:\n    print(\"x\")\n</parameter>\n<parameter=opts>\n{\"lang\": \"py\", \"n\": [1, 2]}\n</parameter>\n</function>\n</tool_call>",
            "Let me look.\n",
            ["get_weather|{\"city\":\"San Francisco\",\"days\":3}", "run|{\"code\":\"if a \\u003C b:\\n    print(\\u0022x\\u0022)\",\"opts\":{\"lang\":\"py\",\"n\":[1,2]}}"]
        },
        {
            // a Hermes-style JSON body is not this format's call: it stays text
            ToolCallFormat.Qwen3CoderXml,
            "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
            "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
            []
        },
        {
            ToolCallFormat.Glm45,
            "\n<tool_call>get_weather\n<arg_key>city</arg_key>\n<arg_value>北京</arg_value>\n<arg_key>days</arg_key>\n<arg_value>2</arg_value>\n</tool_call>" +
            "\n<tool_call>get_time\n</tool_call>",
            "\n",
            ["get_weather|{\"city\":\"\\u5317\\u4EAC\",\"days\":2}", "get_time|{}"]
        },
        {
            ToolCallFormat.Glm45,
            "Use <tool_call>get weather now</tool_call> like this.",
            "Use <tool_call>get weather now</tool_call> like this.",
            []
        },
        {
            ToolCallFormat.Granite,
            "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Boston\"}}, {\"name\": \"get_time\", \"arguments\": {}}]",
            "",
            ["get_weather|{\"city\":\"Boston\"}", "get_time|{}"]
        },
        {
            ToolCallFormat.Granite,
            "<|tool_call|>[{\"name\": 5}] is not a call",
            "<|tool_call|>[{\"name\": 5}] is not a call",
            []
        },
        {
            ToolCallFormat.CommandR7B,
            "<|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Toronto\"}},\n" +
            "    {\"tool_call_id\": \"1\", \"tool_name\": \"search\", \"parameters\": {\"query\": \"[1]\"}}\n]<|END_ACTION|>",
            "",
            ["get_weather|{\"city\":\"Toronto\"}", "search|{\"query\":\"[1]\"}"]
        },
        {
            ToolCallFormat.FunctionaryV32,
            "all\nLet me check >>> both.>>>get_weather\n{\"city\": \"Paris\"}>>>add\n{\"a\": 2, \"b\": 3}",
            "Let me check >>> both.",
            ["get_weather|{\"city\":\"Paris\"}", "add|{\"a\":2,\"b\":3}"]
        },
        {
            ToolCallFormat.FunctionaryV32,
            "get_time\n{}",
            "",
            ["get_time|{}"]
        },
        {
            // cut off inside the recipient: no call, and no markup the model did not write
            ToolCallFormat.FunctionaryV32,
            "get_ti",
            "get_ti",
            []
        },
        {
            ToolCallFormat.Lfm2,
            "Checking.<|tool_call_start|>[get_weather(city='Paris', unit=\"c\"), search(query='it\\'s [1] (x)', limit=3, ok=True, none=None, " +
            "tags=['a', \"b\"], opts={'k': 1.5, 'n': null}, neg=-2e3, j=true)]<|tool_call_end|> Done.",
            "Checking. Done.",
            ["get_weather|{\"city\":\"Paris\",\"unit\":\"c\"}",
                "search|{\"query\":\"it\\u0027s [1] (x)\",\"limit\":3,\"ok\":true,\"none\":null,\"tags\":[\"a\",\"b\"],\"opts\":{\"k\":1.5,\"n\":null},\"neg\":-2000,\"j\":true}"]
        },
        {
            // a positional argument is not a call LFM2 writes: the block stays text
            ToolCallFormat.Lfm2,
            "<|tool_call_start|>[get_weather('Paris')]<|tool_call_end|>",
            "<|tool_call_start|>[get_weather('Paris')]<|tool_call_end|>",
            []
        },
        {
            // the model stopped before the end marker: the finished list counts
            ToolCallFormat.Lfm2,
            "<|tool_call_start|>[get_time()]",
            "",
            ["get_time|{}"]
        },
        {
            ToolCallFormat.Pythonic,
            " [get_weather(city=\"San Francisco, CA\"), add(a=2, b=3,)]",
            " ",
            ["get_weather|{\"city\":\"San Francisco, CA\"}", "add|{\"a\":2,\"b\":3}"]
        },
        {
            // only the reply's start opens calls: a list later in the text is text
            ToolCallFormat.Pythonic,
            "Call it as [get_weather(city='Oslo')].",
            "Call it as [get_weather(city='Oslo')].",
            []
        },
        {
            // a list that holds no calls is an answer
            ToolCallFormat.Pythonic,
            "[1, 2, 3] are the first three.",
            "[1, 2, 3] are the first three.",
            []
        },
        {
            ToolCallFormat.MiniMaxM2,
            "Let me see.\n<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">New York</parameter>\n" +
            "<parameter name=\"days\">3</parameter>\n</invoke>\n<invoke name=\"search\">\n<parameter name=\"query\">a < b</parameter>\n" +
            "<parameter name=\"exact\">True</parameter>\n</invoke>\n</minimax:tool_call>",
            "Let me see.\n",
            ["get_weather|{\"city\":\"New York\",\"days\":3}", "search|{\"query\":\"a \\u003C b\",\"exact\":true}"]
        },
        {
            ToolCallFormat.MiniMaxM2,
            "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Rome</parameter>\n</minimax:tool_call>",
            "<minimax:tool_call>\n<invoke name=\"get_weather\">\n<parameter name=\"city\">Rome</parameter>\n</minimax:tool_call>",
            []
        },
        {
            ToolCallFormat.SeedOss,
            "<seed:tool_call>\n<function=get_weather>\n<parameter=city>Paris</parameter>\n<parameter=opts>{'unit': 'c', 'days': [1, 2]}</parameter>\n" +
            "</function>\n</seed:tool_call>\n<seed:tool_call>\n<function=get_time>\n</function>\n</seed:tool_call>",
            "",
            ["get_weather|{\"city\":\"Paris\",\"opts\":{\"unit\":\"c\",\"days\":[1,2]}}", "get_time|{}"]
        },
        {
            ToolCallFormat.NemotronV2,
            "Sure.\n<TOOLCALL>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}, {\"name\": \"add\", \"arguments\": \"{\\\"a\\\": 1}\"}]</TOOLCALL>",
            "Sure.\n",
            ["get_weather|{\"city\":\"Paris\"}", "add|{\"a\":1}"]
        },
        {
            ToolCallFormat.NemotronV2,
            "<TOOLCALL>[{\"name\": \"get_weather\", \"arguments\": [1]}]</TOOLCALL>",
            "<TOOLCALL>[{\"name\": \"get_weather\", \"arguments\": [1]}]</TOOLCALL>",
            []
        },
        {
            ToolCallFormat.Apertus,
            "<|tools_prefix|>[{\"get_weather\": {\"city\": \"Bern\"}}, {\"get_time\": {}}]<|tools_suffix|>",
            "",
            ["get_weather|{\"city\":\"Bern\"}", "get_time|{}"]
        },
        {
            // two keys: not a call
            ToolCallFormat.Apertus,
            "<|tools_prefix|>[{\"get_weather\": {}, \"x\": {}}]<|tools_suffix|>",
            "<|tools_prefix|>[{\"get_weather\": {}, \"x\": {}}]<|tools_suffix|>",
            []
        },
        {
            ToolCallFormat.Phi4Mini,
            "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Seattle\"}}]<|/tool_call|> and <|/tool_call text",
            " and <|/tool_call text",
            ["get_weather|{\"city\":\"Seattle\"}"]
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
        // every push before Finish (Concat would evaluate Finish's argument first)
        var deltas = pieces.SelectMany(p => parser.Push(p)).ToList();
        deltas.AddRange(parser.Finish());
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
    // vLLM's pythonic Llama 4 template: its instruction, then Llama 4's ipython header for results
    [InlineData("- Use exact format: [func_name1(param1=value1, param2=value2), func_name2(...)]\n{{- \"<|header_start|>ipython<|header_end|>\" }}",
        ToolCallFormat.Pythonic)]
    public void FormatComesFromTheChatTemplate(string template, ToolCallFormat expected) =>
        Assert.Equal(expected, ToolCallFormats.FromChatTemplate(template));

    [Theory]
    [InlineData("Qwen-Qwen3-0.6B", ToolCallFormat.Hermes)]
    [InlineData("Qwen-QwQ-32B", ToolCallFormat.Hermes)]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", ToolCallFormat.Hermes)]
    [InlineData("ibm-granite-granite-4.0", ToolCallFormat.Hermes)]
    [InlineData("Qwen3-Coder", ToolCallFormat.Qwen3CoderXml)]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", ToolCallFormat.DeepSeekR1)]
    [InlineData("deepseek-ai-DeepSeek-R1-Distill-Llama-8B", ToolCallFormat.DeepSeekR1)]
    [InlineData("deepseek-ai-DeepSeek-V3.1", ToolCallFormat.DeepSeekV31)]
    [InlineData("GLM-4.6", ToolCallFormat.Glm45)]
    [InlineData("ibm-granite-granite-3.3-2B-Instruct", ToolCallFormat.Granite)]
    [InlineData("CohereForAI-c4ai-command-r7b-12-2024-tool_use", ToolCallFormat.CommandR7B)]
    [InlineData("moonshotai-Kimi-K2", ToolCallFormat.KimiK2)]
    [InlineData("Kimi-K2-Instruct", ToolCallFormat.KimiK2)]
    [InlineData("meta-llama-Llama-3.3-70B-Instruct", ToolCallFormat.Llama3Json)]
    [InlineData("mistralai-Mistral-Nemo-Instruct-2407", ToolCallFormat.Mistral)]
    [InlineData("openai-gpt-oss-120b", ToolCallFormat.Harmony)]
    [InlineData("meetkai-functionary-medium-v3.2", ToolCallFormat.FunctionaryV32)]
    [InlineData("google-gemma-2-2b-it", null)]
    [InlineData("LFM2-8B-A1B", ToolCallFormat.Lfm2)]
    [InlineData("LFM2.5-Instruct", ToolCallFormat.Lfm2)]
    [InlineData("LFM2.5-8B-A1B", ToolCallFormat.Lfm2)]
    [InlineData("vllm-llama3.2-pythonic", ToolCallFormat.Pythonic)]
    [InlineData("MiniMax-M2", ToolCallFormat.MiniMaxM2)]
    [InlineData("ByteDance-Seed-OSS", ToolCallFormat.SeedOss)]
    [InlineData("NVIDIA-Nemotron-Nano-v2", ToolCallFormat.NemotronV2)]
    [InlineData("Apertus-8B-Instruct", ToolCallFormat.Apertus)]
    [InlineData("microsoft-Phi-4-mini-instruct", ToolCallFormat.Phi4Mini)]
    public void RealTemplatesTeachTheirFormat(string name, ToolCallFormat? expected) =>
        Assert.Equal(expected, ToolCallFormats.FromChatTemplate(RealTemplate(name)));

    // Every stored real template and the format it must keep choosing: a new check in FromChatTemplate may not change any of them,
    // and a template added to the data must be listed here.
    private static readonly Dictionary<string, ToolCallFormat?> Chosen = new()
    {
        ["Apertus-8B-Instruct"] = ToolCallFormat.Apertus,
        ["ByteDance-Seed-OSS"] = ToolCallFormat.SeedOss,
        ["CohereForAI-c4ai-command-r7b-12-2024-tool_use"] = ToolCallFormat.CommandR7B,
        ["GLM-4.6"] = ToolCallFormat.Glm45,
        ["HuggingFaceTB-SmolLM3-3B"] = null,
        ["Kimi-K2-Instruct"] = ToolCallFormat.KimiK2,
        ["LFM2-8B-A1B"] = ToolCallFormat.Lfm2,
        ["LFM2.5-8B-A1B"] = ToolCallFormat.Lfm2,
        ["LFM2.5-Instruct"] = ToolCallFormat.Lfm2,
        ["MiniMax-M2"] = ToolCallFormat.MiniMaxM2,
        ["Mistral-Small-3.2-24B-Instruct-2506"] = ToolCallFormat.Mistral,
        ["NVIDIA-Nemotron-Nano-v2"] = ToolCallFormat.NemotronV2,
        ["NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use"] = ToolCallFormat.Hermes,
        ["NousResearch-Hermes-3-Llama-3.1-8B-tool_use"] = ToolCallFormat.Hermes,
        ["Qwen-QwQ-32B"] = ToolCallFormat.Hermes,
        ["Qwen-Qwen2.5-7B-Instruct"] = ToolCallFormat.Hermes,
        ["Qwen-Qwen3-0.6B"] = ToolCallFormat.Hermes,
        ["Qwen3-Coder"] = ToolCallFormat.Qwen3CoderXml,
        ["deepseek-ai-DeepSeek-R1-Distill-Llama-8B"] = ToolCallFormat.DeepSeekR1,
        ["deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"] = ToolCallFormat.DeepSeekR1,
        ["deepseek-ai-DeepSeek-V3.1"] = ToolCallFormat.DeepSeekV31,
        ["google-gemma-2-2b-it"] = null,
        ["google-gemma-4-31B-it"] = null,
        ["ibm-granite-granite-3.3-2B-Instruct"] = ToolCallFormat.Granite,
        ["ibm-granite-granite-4.0"] = ToolCallFormat.Hermes,
        ["meetkai-functionary-medium-v3.2"] = ToolCallFormat.FunctionaryV32,
        ["meta-llama-Llama-3.1-8B-Instruct"] = ToolCallFormat.Llama3Json,
        ["meta-llama-Llama-3.2-3B-Instruct"] = ToolCallFormat.Llama3Json,
        ["meta-llama-Llama-3.3-70B-Instruct"] = ToolCallFormat.Llama3Json,
        ["microsoft-Phi-3-mini-4k-instruct"] = null,
        ["microsoft-Phi-3.5-mini-instruct"] = null,
        ["microsoft-Phi-4-mini-instruct"] = ToolCallFormat.Phi4Mini,
        ["mistralai-Mistral-7B-Instruct-v0.3"] = ToolCallFormat.Mistral,
        ["mistralai-Mistral-Nemo-Instruct-2407"] = ToolCallFormat.Mistral,
        ["moonshotai-Kimi-K2"] = ToolCallFormat.KimiK2,
        ["openai-gpt-oss-120b"] = ToolCallFormat.Harmony,
        ["teknium-OpenHermes-2.5-Mistral-7B-chatml"] = null,
        ["vllm-llama3.2-pythonic"] = ToolCallFormat.Pythonic,
    };

    [Fact]
    public void EveryStoredTemplateKeepsItsFormat()
    {
        var stored = Directory.EnumerateFiles(Moxing.Tests.Fixtures.Path("..", "Moxing.Text.Tests", "Templates", "Data"), "*.jinja")
            .Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Chosen.Keys.Order(StringComparer.Ordinal), stored);
        var wrong = stored.Where(n => ToolCallFormats.FromChatTemplate(RealTemplate(n!)) != Chosen[n!])
            .Select(n => $"{n}: {ToolCallFormats.FromChatTemplate(RealTemplate(n!))?.ToString() ?? "none"}, expected {Chosen[n!]?.ToString() ?? "none"}");
        Assert.Empty(wrong);
    }

    private static string RealTemplate(string name) =>
        File.ReadAllText(Moxing.Tests.Fixtures.Path("..", "Moxing.Text.Tests", "Templates", "Data", name + ".jinja"));

    [Theory]
    [InlineData(ToolCallFormat.Qwen3CoderXml, "<tool_call>\n<function=lookup>\n<parameter=zip>\n02134\n</parameter>\n<parameter=count>\n2\n</parameter>\n</function>\n</tool_call>")]
    [InlineData(ToolCallFormat.Glm45, "<tool_call>lookup\n<arg_key>zip</arg_key>\n<arg_value>02134</arg_value>\n<arg_key>count</arg_key>\n<arg_value>2</arg_value>\n</tool_call>")]
    public void PlainTextValuesAreTypedByTheToolSchema(ToolCallFormat format, string output)
    {
        var tools = new[] { new ToolDefinition("lookup", JsonDocument.Parse("""{"type":"object","properties":{"zip":{"type":"string"},"count":{"type":"integer"}}}""").RootElement) };
        // declared a string, the zip code keeps its leading zero; the count is a number
        Assert.Equal("""{"zip":"02134","count":2}""", Assert.Single(ToolCallStreamParser.Parse(format, output, tools).Calls).Arguments);
        // without the schema a value that reads as JSON is JSON (02134 does not: a leading zero)
        Assert.Equal("""{"zip":"02134","count":2}""", Assert.Single(ToolCallStreamParser.Parse(format, output).Calls).Arguments);
        var numeric = output.Replace("02134", "2134", StringComparison.Ordinal);
        Assert.Equal("""{"zip":"2134","count":2}""", Assert.Single(ToolCallStreamParser.Parse(format, numeric, tools).Calls).Arguments);
        Assert.Equal("""{"zip":2134,"count":2}""", Assert.Single(ToolCallStreamParser.Parse(format, numeric).Calls).Arguments);
    }

    [Fact]
    public void RealQwen3TemplateIsHermes() =>
        Assert.Equal(ToolCallFormat.Hermes, ToolCallFormats.FromChatTemplate(File.ReadAllText(Moxing.Tests.Fixtures.Path("hf", "models", "qwen3-tiny-realvocab", "chat_template.jinja"))));
}
