using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;

namespace Moxing.Server.Generation;

/// <summary>How a thinking model's replies are split into reasoning and answer.</summary>
/// <param name="StartsInside">The prompt opened the think block: the reply starts with reasoning.</param>
/// <param name="Harmony">The model writes harmony messages (gpt-oss), not think blocks: its replies are decoded with their
/// special tokens as text, which mark the channels.</param>
public sealed record ReasoningParsing(bool StartsInside, bool Harmony = false)
{
    /// <summary>The parsing a model's chat <paramref name="templates"/> call for: harmony when they write harmony messages,
    /// think blocks when they write those (starting inside one when <paramref name="prompt"/> ends in an open block), else null.</summary>
    public static ReasoningParsing? For(IEnumerable<string> templates, string prompt = "") =>
        templates.Any(HarmonySplitter.Speaks) ? new ReasoningParsing(StartsInside: false, Harmony: true)
        : templates.Any(ThinkSplitter.Thinks) ? new ReasoningParsing(ThinkSplitter.EndsInside(prompt))
        : null;

    /// <summary>A splitter for one reply.</summary>
    public IReplySplitter NewSplitter() => Harmony ? new HarmonySplitter() : new ThinkSplitter(StartsInside);
}

/// <summary>How replies are searched for tool calls: the model's format, and whether several calls may be kept.</summary>
/// <param name="Format">The model's tool-call format.</param>
/// <param name="Parallel">parallel_tool_calls: keep every call, else only the first.</param>
public sealed record ToolCallParsing(ToolCallFormat Format, bool Parallel);

/// <summary>
/// One choice's generated text split into content and tool calls in the model's own format; with parallel_tool_calls off,
/// only the first call is kept.
/// </summary>
public sealed class ToolCallOutput(ToolCallParsing parsing)
{
    private readonly ToolCallStreamParser _parser = new(parsing.Format);
    private readonly bool _parallel = parsing.Parallel;

    /// <summary>The calls completed so far (at most one without parallel calls).</summary>
    public IReadOnlyList<ToolCall> Calls => _parallel || _parser.Calls.Count <= 1 ? _parser.Calls : _parser.Calls.GetRange(0, 1);

    /// <summary>Adds generated text; returns the content and call deltas it completes.</summary>
    public IReadOnlyList<ToolCallDelta> Push(string text) => Keep(_parser.Push(text));

    /// <summary>Ends the text; returns what was held back.</summary>
    public IReadOnlyList<ToolCallDelta> Finish() => Keep(_parser.Finish());

    /// <summary>Splits a whole reply at once.</summary>
    public static (string Content, IReadOnlyList<ToolCall> Calls) Split(ToolCallParsing parsing, string text)
    {
        var output = new ToolCallOutput(parsing);
        var content = new System.Text.StringBuilder();
        foreach (var d in output.Push(text)) content.Append(d.Content);
        foreach (var d in output.Finish()) content.Append(d.Content);
        return (content.ToString(), output.Calls);
    }

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
