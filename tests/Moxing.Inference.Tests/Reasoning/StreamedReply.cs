using System.Text;
using Moxing.Inference.Reasoning;

namespace Moxing.Inference.Tests.Reasoning;

/// The reasoning and answer a splitter gives for a reply pushed in pieces, checking it never emits an empty segment.
internal static class StreamedReply
{
    public static (string Reasoning, string Answer) Split(IReplySplitter splitter, params string[] pieces)
    {
        StringBuilder reasoning = new(), answer = new();
        var segments = pieces.SelectMany(splitter.Push).ToList();
        segments.AddRange(splitter.Finish());
        foreach (var segment in segments)
        {
            Assert.NotEqual("", segment.Text);
            (segment.Reasoning ? reasoning : answer).Append(segment.Text);
        }
        return (reasoning.ToString(), answer.ToString());
    }
}
