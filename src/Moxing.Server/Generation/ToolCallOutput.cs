using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Server.Generation;

/// <summary>How a thinking model's replies are split into reasoning and answer.</summary>
/// <param name="StartsInside">The prompt opened the think block: the reply starts with reasoning.</param>
/// <param name="Harmony">The model writes harmony messages (gpt-oss), not think blocks: its replies are decoded with their
/// special tokens as text, which mark the channels.</param>
public sealed record ReasoningParsing(bool StartsInside, bool Harmony = false)
{
    /// <summary>Harmony only: messages to <c>functions.NAME</c> come out as tool calls (tools are in play).</summary>
    public bool HarmonyCalls { get; init; }

    /// <summary>Harmony only: every message but the calls keeps its markup, as answer (reasoning_format none).</summary>
    public bool Verbatim { get; init; }

    /// <summary>The parsing a model's chat <paramref name="templates"/> call for: harmony when they write harmony messages,
    /// think blocks when they write those (starting inside one when <paramref name="prompt"/> ends in an open block), else null.</summary>
    public static ReasoningParsing? For(IEnumerable<string> templates, string prompt = "") =>
        templates.Any(HarmonySplitter.Speaks) ? new ReasoningParsing(StartsInside: false, Harmony: true)
        : templates.Any(ThinkSplitter.Thinks) ? new ReasoningParsing(ThinkSplitter.EndsInside(prompt))
        : null;

    /// <summary>A splitter for one reply.</summary>
    public IReplySplitter NewSplitter() => Harmony ? new HarmonySplitter(HarmonyCalls, Verbatim) : new ThinkSplitter(StartsInside);

    /// <summary>
    /// How a reply is split when its reasoning is split off only if <paramref name="split"/>, with <paramref name="tools"/> in
    /// play: a harmony reply with calls goes through its messages either way (verbatim when not split, as llama.cpp keeps the
    /// analysis in the content and still takes the calls out); null when nothing splits it.
    /// </summary>
    public ReasoningParsing? Splitting(bool split, ToolCallParsing? tools)
    {
        var calls = Harmony && tools?.Format == ToolCallFormat.Harmony;
        return split || calls ? this with { HarmonyCalls = calls, Verbatim = !split } : null;
    }
}

/// <summary>How replies are searched for tool calls: the model's format, and whether several calls may be kept.</summary>
/// <param name="Format">The model's tool-call format.</param>
/// <param name="Parallel">parallel_tool_calls: keep every call, else only the first.</param>
/// <param name="Tools">The request's tools, whose schemas type the values of formats that write arguments as plain text.</param>
public sealed record ToolCallParsing(ToolCallFormat Format, bool Parallel, IReadOnlyList<ToolDefinition>? Tools = null);

/// <summary>
/// One choice's generated text split into content and tool calls in the model's own format; with parallel_tool_calls off,
/// only the first call is kept.
/// </summary>
public sealed class ToolCallOutput(ToolCallParsing parsing)
{
    private readonly ToolCallStreamParser _parser = new(parsing.Format, parsing.Tools);
    private readonly bool _parallel = parsing.Parallel;

    /// <summary>The calls completed so far (at most one without parallel calls).</summary>
    public IReadOnlyList<ToolCall> Calls => _parallel || _parser.Calls.Count <= 1 ? _parser.Calls : _parser.Calls.GetRange(0, 1);

    /// <summary>Adds a piece of the answer (text, or a piece of a call its message structure delimits); returns the content and call
    /// deltas it completes.</summary>
    public IReadOnlyList<ToolCallDelta> Push(ReplySegment answer) =>
        Keep(answer.Call is { } name ? _parser.PushCall(name, answer.Text, answer.Opens) : _parser.Push(answer.Text));

    /// <summary>Ends the text; returns what was held back.</summary>
    public IReadOnlyList<ToolCallDelta> Finish() => Keep(_parser.Finish());

    private IReadOnlyList<ToolCallDelta> Keep(IReadOnlyList<ToolCallDelta> deltas)
    {
        if (_parallel) return deltas;
        List<ToolCallDelta>? kept = null;
        for (var i = 0; i < deltas.Count; i++)
        {
            if (deltas[i].IsContent || deltas[i].Index == 0) kept?.Add(deltas[i]);
            else if (kept is null) kept = [.. deltas.Take(i)];
        }
        return kept ?? deltas;
    }
}
