using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Inference.Tests.Reasoning;

/// Harmony tool calls (gpt-oss): messages to functions.NAME split out of the reply as calls, whole and however the reply streams.
public sealed class HarmonyCallTests
{
    private const string Weather = "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>";

    public static TheoryData<string, string, string, string[]> Replies => new()
    {
        // analysis, then the call as the harmony format writes it
        { "<|channel|>analysis<|message|>Need the weather.<|end|><|start|>assistant" + Weather + "{\"city\":\"Paris\"}<|call|>",
            "Need the weather.", "", ["get_weather|{\"city\":\"Paris\"}"] },
        // recipient before the channel (as the template renders earlier calls), no <|constrain|>
        { " to=functions.get_weather<|channel|>commentary json<|message|>{\"city\":\"Paris\"}<|call|>", "", "", ["get_weather|{\"city\":\"Paris\"}"] },
        // <|call|> ends generation, so it is often not in the text
        { Weather + "{\"city\":\"Paris\"}", "", "", ["get_weather|{\"city\":\"Paris\"}"] },
        // several calls, the same function twice
        { Weather + "{\"city\":\"Paris\"}<|call|><|start|>assistant" + Weather + "{\"city\":\"Lyon\"}<|call|>", "", "",
            ["get_weather|{\"city\":\"Paris\"}", "get_weather|{\"city\":\"Lyon\"}"] },
        // a preamble to the user, then a call with no arguments
        { "<|channel|>commentary<|message|>Let me check.<|end|><|start|>assistant<|channel|>commentary to=functions.get_time<|message|>{}<|call|>",
            "", "Let me check.", ["get_time|{}"] },
        // a call from the analysis channel is a call too
        { "<|channel|>analysis to=functions.get_time <|constrain|>json<|message|>{}<|call|>", "", "", ["get_time|{}"] },
        // malformed arguments stay the call's, as written: never content
        { Weather + "{\"city\": Par<|call|>", "", "", ["get_weather|{\"city\": Par"] },
        // a builtin tool this server does not run: part of the chain of thought
        { "<|channel|>analysis<|message|>Search.<|end|><|start|>assistant<|channel|>analysis to=browser.search code<|message|>{\"query\":\"x\"}<|call|>",
            "Search.{\"query\":\"x\"}", "", [] },
        // a stray commentary header before the analysis channel, and a plain answer
        { "<|channel|>commentary to=assistant<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>b<|return|>", "a", "b", [] },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void Calls_come_out_of_the_messages_however_the_reply_streams(string reply, string reasoning, string content, string[] calls)
    {
        var expected = (reasoning, content, string.Join(" ; ", calls));
        Assert.Equal(expected, Parse(new HarmonySplitter(calls: true), [reply]));
        for (var cut = 0; cut <= reply.Length; cut++)
            Assert.Equal(expected, Parse(new HarmonySplitter(calls: true), [reply[..cut], reply[cut..]]));
        Assert.Equal(expected, Parse(new HarmonySplitter(calls: true), [.. reply.Select(c => c.ToString())]));
    }

    [Fact]
    public void A_call_streams_its_id_and_name_first_then_its_arguments_as_they_come()
    {
        var splitter = new HarmonySplitter(calls: true);
        var parser = new ToolCallStreamParser(ToolCallFormat.Harmony);
        List<ToolCallDelta> Push(string text) => [.. splitter.Push(text).SelectMany(s => Route(parser, s))];
        Assert.Empty(Push("<|channel|>commentary to=functions.get_weather <|constrain|>json"));
        var open = Assert.Single(Push("<|message|>"));
        Assert.Equal(("get_weather", 0, ""), (open.Name, open.Index, open.Arguments));
        Assert.StartsWith("call_", open.Id);
        Assert.Equal("{\"city\":", Assert.Single(Push("{\"city\":")).Arguments);
        Assert.Equal("\"Paris\"}", Assert.Single(Push("\"Paris\"}<|ca")).Arguments);
        Assert.Empty(Push("ll|>"));
        Assert.Single(parser.Calls);
    }

    [Fact]
    public void Without_tools_in_play_a_call_is_reasoning_not_an_answer()
    {
        const string reply = Weather + "{\"city\":\"Paris\"}<|call|>";
        Assert.Equal(("{\"city\":\"Paris\"}", ""), ReplySplitting.Split(new HarmonySplitter(), reply));
    }

    [Fact]
    public void Verbatim_keeps_every_message_but_the_calls_as_written()
    {
        const string reply = "<|channel|>analysis<|message|>Need it.<|end|><|start|>assistant" + Weather + "{\"city\":\"Paris\"}<|call|>";
        for (var cut = 0; cut <= reply.Length; cut++)
            Assert.Equal(("", "<|channel|>analysis<|message|>Need it.<|end|>", "get_weather|{\"city\":\"Paris\"}"),
                Parse(new HarmonySplitter(calls: true, verbatim: true), [reply[..cut], reply[cut..]]));
        const string answer = "<|channel|>final<|message|>Hi.<|return|>";
        Assert.Equal(("", answer, ""), Parse(new HarmonySplitter(calls: true, verbatim: true), [answer]));
    }

    [Fact]
    public void Templates_that_write_harmony_calls_get_the_harmony_format()
    {
        const string template = "{{- '<|start|>assistant to=functions.' + name + '<|channel|>commentary json<|message|>' + args + '<|call|>' }}";
        Assert.Equal(ToolCallFormat.Harmony, ToolCallFormats.FromChatTemplate(template));
    }

    // reasoning, content, and the calls as "name|arguments ; …"
    private static (string Reasoning, string Content, string Calls) Parse(HarmonySplitter splitter, string[] pieces)
    {
        var (reasoning, content, calls) = HarmonyReply.Parse(splitter, pieces);
        return (reasoning, content, string.Join(" ; ", calls.Select(c => $"{c.Name}|{c.Arguments}")));
    }

    private static IReadOnlyList<ToolCallDelta> Route(ToolCallStreamParser parser, ReplySegment segment) => HarmonyReply.Route(parser, segment);
}
