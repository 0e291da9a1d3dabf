using System.Text;
using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Server.Generation;

/// <summary>
/// One choice's reply as deltas, whichever way its model marks them: reasoning (<see cref="ToolCallDelta.IsReasoning"/>) split off
/// by the reasoning format, and the answer's content and tool-call pieces in the model's tool-call format (for harmony, calls
/// the splitter finds in the message structure).
/// </summary>
/// <param name="reasoning">How reasoning is split off; null: none is.</param>
/// <param name="tools">How calls are found; null: the answer is all content.</param>
public sealed class ReplyParser(ReasoningParsing? reasoning, ToolCallParsing? tools)
{
    private readonly ToolCallOutput? _calls = tools is null ? null : new ToolCallOutput(tools);

    /// <summary>The reasoning splitter (null when reasoning is not split off), which knows whether the reply is in its reasoning.</summary>
    public IReplySplitter? Splitter { get; } = reasoning?.NewSplitter();

    /// <summary>The calls completed so far.</summary>
    public IReadOnlyList<ToolCall> Calls => _calls?.Calls ?? [];

    /// <summary>Adds generated text; returns the deltas it completes.</summary>
    public IReadOnlyList<ToolCallDelta> Push(string text) => Route(Splitter is null ? [new ReplySegment(false, text)] : Splitter.Push(text), final: false);

    /// <summary>Ends the reply; returns what was held back.</summary>
    public IReadOnlyList<ToolCallDelta> Finish() => Route(Splitter?.Finish() ?? [], final: true);

    /// <summary>Parses a whole reply: its reasoning (null when it shows none), its content and its calls.</summary>
    public static (string? Reasoning, string Content, IReadOnlyList<ToolCall> Calls) Parse(ReasoningParsing? reasoning, ToolCallParsing? tools, string text)
    {
        var parser = new ReplyParser(reasoning, tools);
        StringBuilder thought = new(), content = new();
        foreach (var delta in parser.Push(text).Concat(parser.Finish()))
            (delta.IsReasoning ? thought : content).Append(delta.Content);
        return (parser.Splitter?.Thought == true ? thought.ToString() : null, content.ToString(), parser.Calls);
    }

    private List<ToolCallDelta> Route(IReadOnlyList<ReplySegment> segments, bool final)
    {
        var deltas = new List<ToolCallDelta>();
        foreach (var segment in segments)
        {
            if (segment.Reasoning) deltas.Add(new ToolCallDelta(segment.Text) { IsReasoning = true });
            else if (_calls is null) deltas.Add(new ToolCallDelta(segment.Text));
            else deltas.AddRange(_calls.Push(segment));
        }
        if (final && _calls is not null) deltas.AddRange(_calls.Finish());
        return deltas;
    }
}
