using System.Text;

namespace Moxing.Inference.Reasoning;

/// <summary>A piece of a reply: the model's reasoning, its answer, or a piece of a tool call its message structure delimits.</summary>
/// <param name="Reasoning">True for text inside the think block.</param>
/// <param name="Text">The text (for a call, a piece of its arguments).</param>
public readonly record struct ReplySegment(bool Reasoning, string Text)
{
    /// <summary>The function a call message addresses (harmony's <c>to=functions.NAME</c>); null for reasoning and answer text.</summary>
    public string? Call { get; init; }

    /// <summary>True on a call's first segment (its text may be empty), so calls that follow each other stay apart.</summary>
    public bool Opens { get; init; }
}

/// <summary>
/// Splits a streamed reply of a thinking model (Qwen3, QwQ, DeepSeek-R1 and their distills, SmolLM3, …) into its reasoning,
/// written between <c>&lt;think&gt;</c> and <c>&lt;/think&gt;</c>, and the answer after it, as llama.cpp's and vLLM's
/// reasoning parsers do. A think block counts only at the start of the reply (after whitespace), or from the first token
/// when the prompt already opened it (templates that end the generation prompt with <c>&lt;think&gt;</c>). Whitespace
/// around the reasoning and before the answer is dropped; a tag split across pieces is held back until it is whole.
/// </summary>
public sealed class ThinkSplitter : IReplySplitter
{
    /// <summary>The tag that opens a think block.</summary>
    public const string Open = "<think>";

    /// <summary>The tag that closes it.</summary>
    public const string Close = "</think>";

    private readonly StringBuilder _pending = new();
    private State _state;

    private enum State { Start, ReasoningStart, Reasoning, AnswerStart, Answer }

    /// <summary>A splitter for a reply that starts inside a think block when <paramref name="startsInside"/>.</summary>
    public ThinkSplitter(bool startsInside)
    {
        _state = startsInside ? State.ReasoningStart : State.Start;
        Thought = startsInside;
    }

    /// <summary>True once the reply has opened a think block (or started inside one).</summary>
    public bool Thought { get; private set; }

    /// <summary>True once the think block is closed (or the reply turned out to have none): what follows is the answer.</summary>
    public bool Answering => _state is State.AnswerStart or State.Answer;

    /// <summary>True when a chat template writes think blocks (so its model's replies are split).</summary>
    public static bool Thinks(string chatTemplate) =>
        chatTemplate.Contains(Open, StringComparison.Ordinal) && chatTemplate.Contains(Close, StringComparison.Ordinal);

    /// <summary>True when a rendered prompt ends inside an open think block: the reply starts with reasoning.</summary>
    public static bool EndsInside(string prompt) =>
        prompt.LastIndexOf(Open, StringComparison.Ordinal) is var open and >= 0 && open > prompt.LastIndexOf(Close, StringComparison.Ordinal);

    /// <summary>Adds generated text; returns the segments it completes (possibly none).</summary>
    public IReadOnlyList<ReplySegment> Push(string text)
    {
        _pending.Append(text);
        return Drain(final: false);
    }

    /// <summary>Ends the reply; returns what was held back (an unclosed think block is all reasoning).</summary>
    public IReadOnlyList<ReplySegment> Finish() => Drain(final: true);

    /// <summary>Splits a whole reply: its reasoning (null when it has no think block) and its answer.</summary>
    public static (string? Reasoning, string Answer) Split(string reply, bool startsInside) =>
        ReplySplitting.Split(new ThinkSplitter(startsInside), reply);

    private List<ReplySegment> Drain(bool final)
    {
        var segments = new List<ReplySegment>();
        while (_pending.Length > 0)
        {
            var text = _pending.ToString();
            var trimmed = text.TrimStart();
            switch (_state)
            {
                case State.Start:
                    if (trimmed.StartsWith(Open, StringComparison.Ordinal))
                    {
                        Consume(text.Length - trimmed.Length + Open.Length);
                        _state = State.ReasoningStart;
                        Thought = true;
                        continue;
                    }
                    // whitespace, or a prefix of the tag: wait for more unless the reply is over
                    if (!final && (trimmed.Length == 0 || Open.StartsWith(trimmed, StringComparison.Ordinal))) return segments;
                    _state = State.Answer;
                    continue;
                case State.ReasoningStart or State.AnswerStart:
                    Consume(text.Length - trimmed.Length);
                    if (trimmed.Length == 0) return EndIfFinal(segments, final);
                    _state = _state == State.ReasoningStart ? State.Reasoning : State.Answer;
                    continue;
                case State.Reasoning:
                    var close = text.IndexOf(Close, StringComparison.Ordinal);
                    if (close >= 0)
                    {
                        Emit(segments, true, text[..close].TrimEnd());
                        Consume(close + Close.Length);
                        _state = State.AnswerStart;
                        continue;
                    }
                    // hold back a possible start of the closing tag and the whitespace before it (dropped if the tag comes)
                    var head = final ? text.TrimEnd() : text[..(text.Length - ReplySplitting.PartialTag(text, Close))].TrimEnd();
                    Emit(segments, true, head);
                    if (final) _pending.Clear();
                    else Consume(head.Length);
                    return segments;
                default:
                    Emit(segments, false, text);
                    _pending.Clear();
                    return segments;
            }
        }
        return segments;
    }

    private List<ReplySegment> EndIfFinal(List<ReplySegment> segments, bool final)
    {
        if (final) _pending.Clear();
        return segments;
    }

    private void Consume(int count) => _pending.Remove(0, count);

    private static void Emit(List<ReplySegment> segments, bool reasoning, string text)
    {
        if (text.Length > 0) segments.Add(new ReplySegment(reasoning, text));
    }
}
