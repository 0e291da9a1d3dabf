using Moxing.Inference.Reasoning;

namespace Moxing.Inference.Tests.Reasoning;

public sealed class ThinkSplitterTests
{
    [Theory]
    [InlineData("<think>\nLet me think.\n</think>\n\nThe answer.", false, "Let me think.", "The answer.")]
    [InlineData("\n<think>a < b, and </thin is no tag\n\n</think>Done", false, "a < b, and </thin is no tag", "Done")]
    [InlineData("I reason\n</think>\n\nAnswer <think>kept</think>", true, "I reason", "Answer <think>kept</think>")]
    [InlineData("Hello <think>world</think>", false, null, "Hello <think>world</think>")]
    [InlineData("<think>\nstill thinking  \n", false, "still thinking", "")]
    [InlineData("<think>\n\n</think>\n\nJust the answer", false, "", "Just the answer")]
    [InlineData("  plain reply", false, null, "  plain reply")]
    [InlineData("<thin", false, null, "<thin")]
    [InlineData("", true, "", "")]
    public void A_reply_splits_into_reasoning_and_answer_however_it_streams(string reply, bool startsInside, string? reasoning, string answer)
    {
        Assert.Equal((reasoning, answer), ThinkSplitter.Split(reply, startsInside));
        // every way of cutting the reply into two pieces, and one character at a time, gives the same texts
        for (var cut = 0; cut <= reply.Length; cut++)
            Assert.Equal((reasoning ?? "", answer), StreamedReply.Split(new ThinkSplitter(startsInside), reply[..cut], reply[cut..]));
        Assert.Equal((reasoning ?? "", answer), StreamedReply.Split(new ThinkSplitter(startsInside), [.. reply.Select(c => c.ToString())]));
    }

    [Fact]
    public void Whitespace_inside_the_reasoning_is_kept_and_segments_come_as_soon_as_they_are_certain()
    {
        var splitter = new ThinkSplitter(startsInside: false);
        Assert.Empty(splitter.Push("<thi"));
        Assert.Equal([new ReplySegment(true, "Hello")], splitter.Push("nk>\nHello"));
        // a space may end the reasoning (dropped before </think>) until more text shows it does not
        Assert.Empty(splitter.Push(" "));
        Assert.Equal([new ReplySegment(true, " world")], splitter.Push("world</"));
        Assert.Equal([new ReplySegment(false, "Hi")], splitter.Push("think>\n\nHi"));
        Assert.Equal([new ReplySegment(false, " there")], splitter.Push(" there"));
        Assert.Empty(splitter.Finish());
        Assert.True(splitter.Thought);
    }

    [Theory]
    [InlineData("<|im_start|>assistant\n<think>\n", true)]
    [InlineData("<|im_start|>assistant\n<think>\n\n</think>\n\n", false)]
    [InlineData("<think>old</think> user: hi <|im_start|>assistant\n", false)]
    [InlineData("<|Assistant|>", false)]
    public void A_prompt_that_opens_a_think_block_starts_the_reply_inside_it(string prompt, bool inside) =>
        Assert.Equal(inside, ThinkSplitter.EndsInside(prompt));

    [Theory]
    [InlineData("{{ '<think>\\n' + reasoning_content + '\\n</think>' }}", true)]
    [InlineData("{{ '<|im_start|>' + message.content }}", false)]
    [InlineData("{{ '<think>' }}", false)]
    public void Models_whose_template_writes_think_blocks_think(string template, bool thinks) =>
        Assert.Equal(thinks, ThinkSplitter.Thinks(template));
}
