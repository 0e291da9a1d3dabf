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
    /// <summary>DeepSeek-V3 / R1: &lt;｜tool▁calls▁begin｜&gt;&lt;｜tool▁call▁begin｜&gt;function&lt;｜tool▁sep｜&gt;NAME, then the
    /// arguments in a ```json fence, &lt;｜tool▁call▁end｜&gt; … &lt;｜tool▁calls▁end｜&gt;.</summary>
    DeepSeekR1,
    /// <summary>DeepSeek-V3.1: &lt;｜tool▁calls▁begin｜&gt;&lt;｜tool▁call▁begin｜&gt;NAME&lt;｜tool▁sep｜&gt;{…}&lt;｜tool▁call▁end｜&gt;
    /// … &lt;｜tool▁calls▁end｜&gt;.</summary>
    DeepSeekV31,
    /// <summary>Kimi-K2: &lt;|tool_calls_section_begin|&gt;&lt;|tool_call_begin|&gt;functions.NAME:INDEX&lt;|tool_call_argument_begin|&gt;{…}
    /// &lt;|tool_call_end|&gt; … &lt;|tool_calls_section_end|&gt;.</summary>
    KimiK2,
    /// <summary>Qwen3-Coder (also Qwen3.5, Nemotron Nano 3): &lt;tool_call&gt;&lt;function=NAME&gt;&lt;parameter=P&gt;VALUE&lt;/parameter&gt;…
    /// &lt;/function&gt;&lt;/tool_call&gt;, values as plain text.</summary>
    Qwen3CoderXml,
    /// <summary>GLM-4.5 / 4.6: &lt;tool_call&gt;NAME&lt;arg_key&gt;P&lt;/arg_key&gt;&lt;arg_value&gt;VALUE&lt;/arg_value&gt;…&lt;/tool_call&gt;.</summary>
    Glm45,
    /// <summary>Granite 3.x: &lt;|tool_call|&gt; followed by a JSON list of {"name":…,"arguments":{…}}.</summary>
    Granite,
    /// <summary>Command-R7B: &lt;|START_ACTION|&gt;[{"tool_call_id":"0","tool_name":…,"parameters":{…}}, …]&lt;|END_ACTION|&gt;.</summary>
    CommandR7B,
    /// <summary>Functionary v3.2: messages addressed by a recipient line after &gt;&gt;&gt; — <c>all</c> for the answer, a
    /// function's name for a call whose body is the JSON arguments; the generation prompt writes the first &gt;&gt;&gt;.</summary>
    FunctionaryV32,
    /// <summary>LFM2 / LFM2.5: &lt;|tool_call_start|&gt;[name(arg=value, …), …]&lt;|tool_call_end|&gt;, Python-call syntax with
    /// Python literals as values.</summary>
    Lfm2,
    /// <summary>The pythonic Llama 3.2 / Llama 4 templates: a Python list of calls [name(arg=value, …), …] that opens the reply.</summary>
    Pythonic,
    /// <summary>MiniMax-M2: &lt;minimax:tool_call&gt;&lt;invoke name="NAME"&gt;&lt;parameter name="P"&gt;VALUE&lt;/parameter&gt;…&lt;/invoke&gt;…
    /// &lt;/minimax:tool_call&gt;, values as plain text.</summary>
    MiniMaxM2,
    /// <summary>Seed-OSS: &lt;seed:tool_call&gt;&lt;function=NAME&gt;&lt;parameter=P&gt;VALUE&lt;/parameter&gt;…&lt;/function&gt;&lt;/seed:tool_call&gt;,
    /// values as plain text.</summary>
    SeedOss,
    /// <summary>Nemotron Nano v2: &lt;TOOLCALL&gt;[{"name":…,"arguments":{…}}, …]&lt;/TOOLCALL&gt;.</summary>
    NemotronV2,
    /// <summary>Apertus: &lt;|tools_prefix|&gt;[{"NAME": {…}}, …]&lt;|tools_suffix|&gt;.</summary>
    Apertus,
    /// <summary>Phi-4-mini: &lt;|tool_call|&gt;[{"name":…,"arguments":{…}}, …]&lt;|/tool_call|&gt;; its template lists the tools a system
    /// message carries (<c>message['tools']</c>) between &lt;|tool|&gt; and &lt;|/tool|&gt;.</summary>
    Phi4Mini,
}

/// <summary>Picks the tool-call format from a chat template's text.</summary>
public static class ToolCallFormats
{
    /// <summary>The format the template teaches the model, or null when it has no tool-call syntax we know.</summary>
    public static ToolCallFormat? FromChatTemplate(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        bool Has(string marker) => template.Contains(marker, StringComparison.Ordinal);
        if (Reasoning.HarmonySplitter.Speaks(template) && Has("<|call|>")) return ToolCallFormat.Harmony;
        if (Has("<|tool_calls_section_begin|>")) return ToolCallFormat.KimiK2;
        // R1 names the call's type before the separator and fences the arguments; V3.1 names the function there.
        if (Has("tool▁calls▁begin")) return Has("```json") ? ToolCallFormat.DeepSeekR1 : ToolCallFormat.DeepSeekV31;
        if (Has(XmlCalls.MiniMaxStart)) return ToolCallFormat.MiniMaxM2;
        if (Has(XmlCalls.SeedStart)) return ToolCallFormat.SeedOss;
        if (Has("<tool_call>") && Has("<function=") && Has("<parameter=")) return ToolCallFormat.Qwen3CoderXml;
        if (Has("<tool_call>") && Has("<arg_key>")) return ToolCallFormat.Glm45;
        if (Has("<tool_call>")) return ToolCallFormat.Hermes;
        if (Has("[TOOL_CALLS]")) return ToolCallFormat.Mistral;
        if (Has("<|START_ACTION|>")) return ToolCallFormat.CommandR7B;
        if (Has(">>>all")) return ToolCallFormat.FunctionaryV32;
        // LFM2 lists its tools between <|tool_list_start|> and <|tool_list_end|>, LFM2.5 after a plain "List of tools: ["
        if (Has("<|tool_list_start|>") || Has(PythonCalls.Lfm2Start) || Has("List of tools: [")) return ToolCallFormat.Lfm2;
        if (Has(JsonListCalls.NemotronStart)) return ToolCallFormat.NemotronV2;
        if (Has(JsonListCalls.ApertusStart)) return ToolCallFormat.Apertus;
        if (Has(JsonListCalls.GraniteStart)) return ToolCallFormat.Granite;
        if (Has("<|tool|>") && Has("<|/tool|>")) return ToolCallFormat.Phi4Mini;
        // the pythonic Llama templates teach "[func_name1(params_name1=params_value1, …), func_name2(params)]"
        if (Has("[func_name1(")) return ToolCallFormat.Pythonic;
        if (Has("<|python_tag|>") || Has("ipython")) return ToolCallFormat.Llama3Json;
        return null;
    }

    /// <summary>The markup the format writes its calls with: vocabularies often hold it as special tokens, which decoding
    /// must keep as text for the calls to be found.</summary>
    public static IReadOnlyList<string> Markers(ToolCallFormat format) => format switch
    {
        ToolCallFormat.Hermes or ToolCallFormat.Qwen3CoderXml => ["<tool_call>", "</tool_call>"],
        ToolCallFormat.Glm45 => ["<tool_call>", "</tool_call>", "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>"],
        ToolCallFormat.Llama3Json => ["<|python_tag|>"],
        ToolCallFormat.Mistral => ["[TOOL_CALLS]", "[ARGS]"],
        ToolCallFormat.DeepSeekR1 or ToolCallFormat.DeepSeekV31 => [DeepSeekCalls.SectionBegin, DeepSeekCalls.SectionEnd, DeepSeekCalls.CallBegin,
            DeepSeekCalls.CallEnd, DeepSeekCalls.Separator],
        ToolCallFormat.KimiK2 => [KimiCalls.SectionBegin, KimiCalls.SectionEnd, KimiCalls.CallBegin, KimiCalls.ArgumentBegin, KimiCalls.CallEnd],
        ToolCallFormat.Granite => [JsonListCalls.GraniteStart],
        ToolCallFormat.Phi4Mini => [JsonListCalls.GraniteStart, JsonListCalls.Phi4End],
        ToolCallFormat.NemotronV2 => [JsonListCalls.NemotronStart, JsonListCalls.NemotronEnd],
        ToolCallFormat.Apertus => [JsonListCalls.ApertusStart, JsonListCalls.ApertusEnd],
        ToolCallFormat.Lfm2 => [PythonCalls.Lfm2Start, PythonCalls.Lfm2End],
        ToolCallFormat.MiniMaxM2 => [XmlCalls.MiniMaxStart, XmlCalls.MiniMaxEnd],
        ToolCallFormat.SeedOss => [XmlCalls.SeedStart, XmlCalls.SeedEnd],
        ToolCallFormat.CommandR7B => [JsonListCalls.ActionStart, JsonListCalls.ActionEnd],
        _ => [],
    };
}
