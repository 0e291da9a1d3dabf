using Moxing.Inference.Reasoning;

namespace Moxing.Inference.Tests.Reasoning;

public sealed class HarmonySplitterTests
{
    [Theory]
    [InlineData("<|channel|>analysis<|message|>User asks for the capital. Paris.<|end|><|start|>assistant<|channel|>final<|message|>Paris.<|return|>",
        "User asks for the capital. Paris.", "Paris.")]
    [InlineData("<|channel|>final<|message|>Just the answer.<|return|>", null, "Just the answer.")]
    [InlineData("<|channel|>analysis<|message|>Still thinking when cut", "Still thinking when cut", "")]
    [InlineData("<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>commentary<|message|>Let me check.<|end|><|start|>assistant<|channel|>final<|message|>Done.",
        "a", "Let me check.Done.")]
    [InlineData("No header at all <|end|>", null, "No header at all <|end|>")]
    [InlineData("<|channel|>analysis<|message|>x<|end|>and then text", "x", "and then text")]
    [InlineData("", null, "")]
    public void A_harmony_reply_splits_into_analysis_and_answer_however_it_streams(string reply, string? reasoning, string answer)
    {
        Assert.Equal((reasoning, answer), ReplySplitting.Split(new HarmonySplitter(), reply));
        for (var cut = 0; cut <= reply.Length; cut++)
            Assert.Equal((reasoning ?? "", answer), StreamedReply.Split(new HarmonySplitter(), reply[..cut], reply[cut..]));
        Assert.Equal((reasoning ?? "", answer), StreamedReply.Split(new HarmonySplitter(), [.. reply.Select(c => c.ToString())]));
    }

    [Fact]
    public void The_answer_streams_as_it_comes_and_the_state_follows_the_channels()
    {
        var splitter = new HarmonySplitter();
        Assert.Empty(splitter.Push("<|channel|>analysis"));
        Assert.False(splitter.Answering);
        Assert.Equal([new ReplySegment(true, "think")], splitter.Push("<|message|>think"));
        Assert.True(splitter.Thought);
        Assert.Empty(splitter.Push("<|end|><|start|>assistant<|channel|>final<|message|>"));
        Assert.True(splitter.Answering);
        Assert.Equal([new ReplySegment(false, "Hi")], splitter.Push("Hi<|"));
        Assert.Equal([new ReplySegment(false, "<|x")], splitter.Push("x"));
        Assert.Empty(splitter.Finish());
    }

    [Theory]
    [InlineData("{{- '<|start|>assistant<|channel|>analysis<|message|>' + message.thinking + '<|end|>' }}", true)]
    [InlineData("{{ '<think>' + reasoning + '</think>' }}", false)]
    public void Models_whose_template_writes_harmony_messages_speak_it(string template, bool speaks) =>
        Assert.Equal(speaks, HarmonySplitter.Speaks(template));
}
