namespace Moxing.Inference.Tools;

/// <summary>A piece of streamed output: plain content, reasoning, or part of one tool call (OpenAI's delta.tool_calls[i]).</summary>
/// <param name="Content">Content or reasoning text (null for a tool-call piece).</param>
/// <param name="Index">Which tool call (0, 1, …) for a tool-call piece.</param>
/// <param name="Id">The call id, on the call's first piece only.</param>
/// <param name="Name">The function name, on the call's first piece only.</param>
/// <param name="Arguments">A fragment of the arguments' JSON text (empty on the first piece).</param>
public sealed record ToolCallDelta(string? Content, int Index = -1, string? Id = null, string? Name = null, string Arguments = "")
{
    /// <summary>True for plain content (or reasoning).</summary>
    public bool IsContent => Content is not null;

    /// <summary>True when the text is the model's reasoning (delta.reasoning_content) rather than its answer.</summary>
    public bool IsReasoning { get; init; }
}

/// <summary>A complete tool call.</summary>
/// <param name="Id">The call id (call_…).</param>
/// <param name="Name">The function name.</param>
/// <param name="Arguments">The arguments as JSON text.</param>
public sealed record ToolCall(string Id, string Name, string Arguments);
