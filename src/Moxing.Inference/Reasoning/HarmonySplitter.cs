using System.Text;

namespace Moxing.Inference.Reasoning;

/// <summary>
/// Splits a reply in OpenAI's harmony format (gpt-oss), whose messages are <c>&lt;|channel|&gt;NAME&lt;|message|&gt;TEXT</c>
/// ended by <c>&lt;|end|&gt;</c> (another message follows after <c>&lt;|start|&gt;assistant</c>), <c>&lt;|return|&gt;</c> or
/// <c>&lt;|call|&gt;</c>: the analysis channel is the reasoning, every other message (final, commentary) the answer, and the
/// markup is dropped. The reply must be decoded with its special tokens as text. A reply that starts with no header is all
/// answer. Tool calls (a header's <c>to=functions.NAME</c>) are not parsed out: their arguments stay in the answer.
/// </summary>
public sealed class HarmonySplitter : IReplySplitter
{
    private const string Start = "<|start|>", Channel = "<|channel|>", Message = "<|message|>";
    private const string End = "<|end|>", Return = "<|return|>", Call = "<|call|>";

    private readonly StringBuilder _pending = new();
    private State _state = State.FirstHeader;
    private bool _analysis;

    // the generation prompt ends with <|start|>assistant: the reply begins with its first message's header
    private enum State { FirstHeader, Header, Body, Between, Plain }

    /// <inheritdoc />
    public bool Thought { get; private set; }

    /// <inheritdoc />
    public bool Answering => _state is State.Body && !_analysis || _state is State.Plain;

    /// <summary>True when a chat template writes harmony messages (so its model's replies are split by this splitter).</summary>
    public static bool Speaks(string chatTemplate) =>
        chatTemplate.Contains(Channel, StringComparison.Ordinal) && chatTemplate.Contains(Message, StringComparison.Ordinal);

    /// <inheritdoc />
    public IReadOnlyList<ReplySegment> Push(string text)
    {
        _pending.Append(text);
        return Drain(final: false);
    }

    /// <inheritdoc />
    public IReadOnlyList<ReplySegment> Finish() => Drain(final: true);

    private List<ReplySegment> Drain(bool final)
    {
        var segments = new List<ReplySegment>();
        while (_pending.Length > 0)
        {
            var text = _pending.ToString();
            switch (_state)
            {
                case State.FirstHeader or State.Header:
                    var message = text.IndexOf(Message, StringComparison.Ordinal);
                    if (message >= 0)
                    {
                        _analysis = ChannelOf(text[..message]) == "analysis";
                        Thought |= _analysis;
                        Consume(message + Message.Length);
                        _state = State.Body;
                        continue;
                    }
                    // a first message with no header (the model did not follow the format) is plain answer
                    if (final || _state == State.FirstHeader && !Begins(text, Channel)) _state = State.Plain;
                    else return segments;
                    continue;
                case State.Body:
                    var (at, tag) = FirstEnd(text);
                    if (at >= 0)
                    {
                        Emit(segments, _analysis, text[..at]);
                        Consume(at + tag.Length);
                        _state = State.Between;
                        continue;
                    }
                    var keep = final ? 0 : ReplySplitting.PartialTag(text, End, Return, Call);
                    Emit(segments, _analysis, text[..(text.Length - keep)]);
                    Consume(text.Length - keep);
                    return segments;
                case State.Between:
                    if (text.StartsWith(Start, StringComparison.Ordinal)) Consume(Start.Length);
                    else if (!text.StartsWith(Channel, StringComparison.Ordinal))
                    {
                        if (!final && (Begins(text, Start) || Begins(text, Channel))) return segments;
                        _state = State.Plain;
                        continue;
                    }
                    _state = State.Header;
                    continue;
                default:
                    Emit(segments, false, text);
                    _pending.Clear();
                    return segments;
            }
        }
        return segments;
    }

    // The channel a header names: the word after <|channel|> ("final" when the header names none).
    private static string ChannelOf(string header)
    {
        var at = header.IndexOf(Channel, StringComparison.Ordinal);
        if (at < 0) return "final";
        var name = header[(at + Channel.Length)..];
        var end = name.IndexOfAny([' ', '<']);
        return end < 0 ? name : name[..end];
    }

    private static (int At, string Tag) FirstEnd(string text)
    {
        (int, string) first = (-1, "");
        foreach (var tag in (ReadOnlySpan<string>)[End, Return, Call])
            if (text.IndexOf(tag, StringComparison.Ordinal) is var at and >= 0 && (first.Item1 < 0 || at < first.Item1)) first = (at, tag);
        return first;
    }

    // text starts with tag, or is a start of it
    private static bool Begins(string text, string tag) =>
        text.StartsWith(tag, StringComparison.Ordinal) || tag.StartsWith(text, StringComparison.Ordinal);

    private void Consume(int count) => _pending.Remove(0, count);

    private static void Emit(List<ReplySegment> segments, bool reasoning, string text)
    {
        if (text.Length > 0) segments.Add(new ReplySegment(reasoning, text));
    }
}
