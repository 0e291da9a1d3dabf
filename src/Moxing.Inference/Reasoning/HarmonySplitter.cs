using System.Text;
using System.Text.RegularExpressions;

namespace Moxing.Inference.Reasoning;

/// <summary>
/// Splits a reply in OpenAI's harmony format (gpt-oss), whose messages are <c>&lt;|channel|&gt;NAME&lt;|message|&gt;TEXT</c>
/// ended by <c>&lt;|end|&gt;</c> (another message follows after <c>&lt;|start|&gt;assistant</c>), <c>&lt;|return|&gt;</c> or
/// <c>&lt;|call|&gt;</c>: the analysis channel is the reasoning, every other message to the user (final, commentary) the answer,
/// and the markup is dropped. A header's recipient (<c>to=NAME</c>, before or after the channel) addresses a tool: with
/// <c>calls</c>, a message to <c>functions.NAME</c> comes out as call segments (<see cref="ReplySegment.Call"/>, its body the
/// arguments as written); a message to any other tool (the builtin <c>browser.*</c> and <c>python</c>, which this server does not
/// run, or a function when no tools are in play) is part of the chain of thought, so reasoning. <c>verbatim</c> keeps every
/// message but the calls as the model wrote it, markup included, as answer (reasoning_format none). The reply must be decoded
/// with its special tokens as text. A reply that starts with no header is all answer.
/// </summary>
public sealed partial class HarmonySplitter(bool calls = false, bool verbatim = false) : IReplySplitter
{
    private const string Start = "<|start|>", Channel = "<|channel|>", Message = "<|message|>", Recipient = " to=";
    private const string End = "<|end|>", Return = "<|return|>", Call = "<|call|>";
    private const string Functions = "functions.";

    private readonly StringBuilder _pending = new();
    // verbatim: markup consumed before a header whose message may yet turn out to be a call (whose markup is dropped)
    private readonly StringBuilder _markup = new();
    private State _state = State.FirstHeader;
    private Kind _kind;
    private string? _function;

    // the generation prompt ends with <|start|>assistant: the reply begins with its first message's header
    private enum State { FirstHeader, Header, Body, Between, Plain }

    private enum Kind { Answer, Reasoning, Call }

    /// <inheritdoc />
    public bool Thought { get; private set; }

    /// <inheritdoc />
    public bool Answering => _state is State.Body && _kind != Kind.Reasoning || _state is State.Plain;

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
                        OpenMessage(segments, text[..message]);
                        Consume(message + Message.Length);
                        _state = State.Body;
                        continue;
                    }
                    // a first message with no header (the model did not follow the format) is plain answer
                    if (final || _state == State.FirstHeader && !Begins(text, Channel) && !Begins(text, Recipient) && !Begins(text, Start)) Plain(segments);
                    else return segments;
                    continue;
                case State.Body:
                    var (at, tag) = FirstEnd(text);
                    if (at >= 0)
                    {
                        Emit(segments, text[..at]);
                        if (verbatim && _kind != Kind.Call) Emit(segments, tag);
                        Consume(at + tag.Length);
                        _state = State.Between;
                        continue;
                    }
                    var keep = final ? 0 : ReplySplitting.PartialTag(text, End, Return, Call);
                    Emit(segments, text[..(text.Length - keep)]);
                    Consume(text.Length - keep);
                    return segments;
                case State.Between:
                    if (text.StartsWith(Start, StringComparison.Ordinal))
                    {
                        if (verbatim) _markup.Append(Start);
                        Consume(Start.Length);
                    }
                    else if (!text.StartsWith(Channel, StringComparison.Ordinal))
                    {
                        if (!final && (Begins(text, Start) || Begins(text, Channel))) return segments;
                        Plain(segments);
                        continue;
                    }
                    _state = State.Header;
                    continue;
                default:
                    Emit(segments, text);
                    _pending.Clear();
                    return segments;
            }
        }
        return segments;
    }

    // A header is complete: what its message is, and (verbatim) its markup unless it is a call.
    private void OpenMessage(List<ReplySegment> segments, string header)
    {
        var recipient = RecipientPattern().Match(header) is { Success: true } m ? m.Groups[1].Value : null;
        _function = calls && recipient is not null && recipient.StartsWith(Functions, StringComparison.Ordinal) ? recipient[Functions.Length..] : null;
        _kind = _function is { Length: > 0 } ? Kind.Call
            : recipient is null or "assistant" or "user" or "all" ? ChannelOf(header) == "analysis" ? Kind.Reasoning : Kind.Answer
            : Kind.Reasoning;
        Thought |= _kind == Kind.Reasoning && !verbatim;
        if (_kind == Kind.Call)
        {
            _markup.Clear();
            segments.Add(new ReplySegment(false, "") { Call = _function, Opens = true });
            return;
        }
        if (verbatim) Emit(segments, header + Message);
    }

    // The rest is no harmony message: plain answer, after any markup held for a header that never completed.
    private void Plain(List<ReplySegment> segments)
    {
        _state = State.Plain;
        _kind = Kind.Answer;
        if (_markup.Length > 0) _pending.Insert(0, _markup);
        _markup.Clear();
    }

    // The channel a header names: the word after its last <|channel|> ("final" when the header names none).
    private static string ChannelOf(string header)
    {
        var at = header.LastIndexOf(Channel, StringComparison.Ordinal);
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

    // Text of the open message (or, verbatim, its markup) as its kind's segment.
    private void Emit(List<ReplySegment> segments, string text)
    {
        if (text.Length == 0) return;
        if (verbatim && _kind != Kind.Call && _markup.Length > 0)
        {
            text = _markup + text;
            _markup.Clear();
        }
        segments.Add(new ReplySegment(_kind == Kind.Reasoning && !verbatim, text) { Call = _kind == Kind.Call ? _function : null });
    }

    // to=NAME in a header, after the role or the channel: NAME ends at whitespace or the next special token
    [GeneratedRegex(@"(?<![\w.])to=([^\s<]+)")]
    private static partial Regex RecipientPattern();
}
