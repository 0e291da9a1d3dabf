using System.Text;
using System.Text.Json;
using Moxing.Inference.Reasoning;
using Moxing.Inference.Tools;
using Moxing.Server.Generation;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// Builds a response's output items from the reply as it is generated: the think block a reasoning item, the answer a message,
/// each tool call in the model's format a function_call item, in the order the model wrote them. With <see cref="ResponseEvents"/>
/// it also records the stream's item, content-part and delta events as OpenAI sends them.
/// </summary>
public sealed class ResponseOutput(ToolCallParsing? tools, ReasoningParsing? reasoning, bool summary, ResponseEvents? events)
{
    private readonly ReplyParser _reply = new(reasoning, tools);
    private readonly List<OutputItem> _items = [];
    // answer text that is all whitespace so far: it opens a message only once text follows (the spacing around calls opens none)
    private readonly StringBuilder _space = new();
    private OutputItem? _open;

    /// <summary>The items so far.</summary>
    public IReadOnlyList<OutputItem> Items => _items;

    /// <summary>The reply's tokens spent inside its think block.</summary>
    public int ReasoningTokens { get; private set; }

    /// <summary>Adds a piece of the reply.</summary>
    public void Add(CompletionPiece piece)
    {
        var thought = _reply.Splitter;
        var thinking = thought is { Answering: false };
        foreach (var delta in _reply.Push(piece.Text)) Apply(delta);
        if (thinking && thought!.Thought) ReasoningTokens += piece.Tokens.Count;
    }

    /// <summary>Ends the reply: what was held back is added and the last item closed, incomplete when the reply was cut short.</summary>
    public void Finish(bool incomplete)
    {
        foreach (var delta in _reply.Finish()) Apply(delta);
        Close(incomplete ? "incomplete" : "completed");
    }

    /// <summary>Writes the <c>output</c> array.</summary>
    public void Write(Utf8JsonWriter w)
    {
        w.WriteStartArray("output");
        foreach (var item in _items) item.Write(w, summary);
        w.WriteEndArray();
    }

    private void Apply(ToolCallDelta delta)
    {
        if (delta.IsReasoning) Append(OutputKind.Reasoning, delta.Content!);
        else if (delta.IsContent) Append(OutputKind.Message, delta.Content!);
        else
        {
            if (delta.Id is not null) Open(new OutputItem(OutputKind.FunctionCall, delta.Id, delta.Name));
            if (delta.Arguments.Length > 0) Append(OutputKind.FunctionCall, delta.Arguments);
        }
    }

    private void Append(OutputKind kind, string text)
    {
        if (text.Length == 0) return;
        if (_open?.Kind != kind)
        {
            // arguments always follow their call's opening delta, so only reasoning and answer text open items here
            if (kind == OutputKind.FunctionCall) return;
            if (kind == OutputKind.Message)
            {
                _space.Append(text);
                if (string.IsNullOrWhiteSpace(_space.ToString())) return;
                text = _space.ToString();
            }
            Open(new OutputItem(kind));
        }
        var item = _open!;
        item.Text.Append(text);
        var index = _items.Count - 1;
        events?.Add(item.Kind switch
        {
            OutputKind.Reasoning when summary => "response.reasoning_summary_text.delta",
            OutputKind.Reasoning => "response.reasoning_text.delta",
            OutputKind.Message => "response.output_text.delta",
            _ => "response.function_call_arguments.delta",
        }, w =>
        {
            WritePlace(w, item, index);
            w.WriteString("delta", text);
            if (item.Kind == OutputKind.Message) EmptyLogprobs(w);
        });
    }

    private void Open(OutputItem item)
    {
        Close("completed");
        _space.Clear();
        _items.Add(item);
        _open = item;
        var index = _items.Count - 1;
        events?.Add("response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            item.Write(w, summary);
        });
        if (item.Kind == OutputKind.FunctionCall) return;
        var (added, part) = PartEvent(item, done: false);
        events?.Add(added, w =>
        {
            WritePlace(w, item, index);
            w.WritePropertyName("part");
            OutputItem.WritePart(w, part, "");
        });
    }

    private void Close(string status)
    {
        if (_open is not { } item) return;
        _open = null;
        item.Status = status;
        var index = _items.Count - 1;
        var text = item.Text.ToString();
        if (events is not null)
        {
            if (item.Kind == OutputKind.FunctionCall)
                events.Add("response.function_call_arguments.done", w =>
                {
                    WritePlace(w, item, index);
                    w.WriteString("name", item.Name);
                    w.WriteString("arguments", text);
                });
            else
            {
                events.Add(item.Kind == OutputKind.Message ? "response.output_text.done"
                    : summary ? "response.reasoning_summary_text.done" : "response.reasoning_text.done", w =>
                {
                    WritePlace(w, item, index);
                    w.WriteString("text", text);
                    if (item.Kind == OutputKind.Message) EmptyLogprobs(w);
                });
                var (done, part) = PartEvent(item, done: true);
                events.Add(done, w =>
                {
                    WritePlace(w, item, index);
                    w.WritePropertyName("part");
                    OutputItem.WritePart(w, part, text);
                });
            }
            events.Add("response.output_item.done", w =>
            {
                w.WriteNumber("output_index", index);
                w.WritePropertyName("item");
                item.Write(w, summary);
            });
        }
    }

    // A message's output_text part and a reasoning item's reasoning_text part (or, with summaries, its summary_text part).
    private (string Event, string Part) PartEvent(OutputItem item, bool done) => (item.Kind, summary) switch
    {
        (OutputKind.Message, _) => (done ? "response.content_part.done" : "response.content_part.added", "output_text"),
        (_, true) => (done ? "response.reasoning_summary_part.done" : "response.reasoning_summary_part.added", "summary_text"),
        _ => (done ? "response.content_part.done" : "response.content_part.added", "reasoning_text"),
    };

    // item_id, output_index and, for text parts, content_index (summary_index for summaries).
    private void WritePlace(Utf8JsonWriter w, OutputItem item, int index)
    {
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", index);
        if (item.Kind == OutputKind.FunctionCall) return;
        w.WriteNumber(item.Kind == OutputKind.Reasoning && summary ? "summary_index" : "content_index", 0);
    }

    private static void EmptyLogprobs(Utf8JsonWriter w)
    {
        w.WriteStartArray("logprobs");
        w.WriteEndArray();
    }
}
