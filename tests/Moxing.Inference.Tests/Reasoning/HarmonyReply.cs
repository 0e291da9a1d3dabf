using System.Text;
using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Inference.Tests.Reasoning;

/// A harmony reply through a splitter and the harmony tool-call parser, as the server composes them.
internal static class HarmonyReply
{
    public static (string Reasoning, string Content, List<ToolCall> Calls) Parse(string reply) => Parse(new HarmonySplitter(calls: true), reply);

    public static (string Reasoning, string Content, List<ToolCall> Calls) Parse(HarmonySplitter splitter, params string[] pieces)
    {
        var parser = new ToolCallStreamParser(ToolCallFormat.Harmony);
        StringBuilder reasoning = new(), content = new();
        foreach (var segment in pieces.SelectMany(splitter.Push).Concat(splitter.Finish()))
        {
            if (segment.Reasoning) reasoning.Append(segment.Text);
            else foreach (var delta in Route(parser, segment)) content.Append(delta.Content);
        }
        foreach (var delta in parser.Finish()) content.Append(delta.Content);
        return (reasoning.ToString(), content.ToString(), parser.Calls);
    }

    /// A non-reasoning segment into the parser: a call's piece, or text.
    public static IReadOnlyList<ToolCallDelta> Route(ToolCallStreamParser parser, ReplySegment segment) =>
        segment.Call is { } name ? parser.PushCall(name, segment.Text, segment.Opens) : parser.Push(segment.Text);
}
