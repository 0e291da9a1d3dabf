using System.Text;

namespace Moxing.Inference.Reasoning;

/// <summary>Splits a streamed reply into the model's reasoning and its answer, in one model family's format.</summary>
public interface IReplySplitter
{
    /// <summary>True once the reply has shown reasoning (or started inside it).</summary>
    bool Thought { get; }

    /// <summary>True while the text that arrives is the answer.</summary>
    bool Answering { get; }

    /// <summary>Adds generated text; returns the segments it completes (possibly none).</summary>
    IReadOnlyList<ReplySegment> Push(string text);

    /// <summary>Ends the reply; returns what was held back.</summary>
    IReadOnlyList<ReplySegment> Finish();
}

/// <summary>Whole-reply use of a <see cref="IReplySplitter"/>.</summary>
public static class ReplySplitting
{
    /// <summary>Splits a whole reply: its reasoning (null when it has none) and its answer.</summary>
    public static (string? Reasoning, string Answer) Split(IReplySplitter splitter, string reply)
    {
        StringBuilder reasoning = new(), answer = new();
        var segments = splitter.Push(reply).ToList();
        segments.AddRange(splitter.Finish());
        foreach (var segment in segments)
            (segment.Reasoning ? reasoning : answer).Append(segment.Text);
        return (splitter.Thought ? reasoning.ToString() : null, answer.ToString());
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that begins one of <paramref name="tags"/> (0 when none does).</summary>
    public static int PartialTag(string text, params ReadOnlySpan<string> tags)
    {
        var longest = 0;
        foreach (var tag in tags)
            for (var length = Math.Min(tag.Length - 1, text.Length); length > longest; length--)
                if (text.EndsWith(tag[..length], StringComparison.Ordinal))
                {
                    longest = length;
                    break;
                }
        return longest;
    }
}
