using System.Text;
using System.Text.Json;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>What an output item holds.</summary>
public enum OutputKind
{
    /// <summary>The model's reasoning (its think block).</summary>
    Reasoning,
    /// <summary>An assistant message with one output_text part.</summary>
    Message,
    /// <summary>A call of one of the request's functions.</summary>
    FunctionCall,
}

/// <summary>One item of a response's <c>output</c>: its id, its text (a call's arguments) so far, and its status.</summary>
public sealed class OutputItem(OutputKind kind, string? callId = null, string? name = null)
{
    /// <summary>The kind.</summary>
    public OutputKind Kind { get; } = kind;

    /// <summary>rs_…, msg_… or fc_….</summary>
    public string Id { get; } = OpenAiParameters.NewId(kind switch { OutputKind.Reasoning => "rs_", OutputKind.Message => "msg_", _ => "fc_" });

    /// <summary>The call id (call_…) of a function call.</summary>
    public string? CallId { get; } = callId;

    /// <summary>The function a call names.</summary>
    public string? Name { get; } = name;

    /// <summary>The text, reasoning or arguments.</summary>
    public StringBuilder Text { get; } = new();

    /// <summary>in_progress, then completed or incomplete.</summary>
    public string Status { get; set; } = "in_progress";

    /// <summary>Writes the item; <paramref name="summary"/>: a reasoning item's summary repeats its reasoning (asked for with reasoning.summary).</summary>
    public void Write(Utf8JsonWriter w, bool summary)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        switch (Kind)
        {
            case OutputKind.Reasoning:
                w.WriteString("type", "reasoning");
                w.WriteStartArray("summary");
                if (summary && Text.Length > 0) WritePart(w, "summary_text", Text.ToString());
                w.WriteEndArray();
                w.WriteStartArray("content");
                if (Text.Length > 0) WritePart(w, "reasoning_text", Text.ToString());
                w.WriteEndArray();
                w.WriteString("status", Status);
                break;
            case OutputKind.Message:
                w.WriteString("type", "message");
                w.WriteString("status", Status);
                w.WriteString("role", "assistant");
                w.WriteStartArray("content");
                if (Status != "in_progress") WritePart(w, "output_text", Text.ToString());
                w.WriteEndArray();
                break;
            default:
                w.WriteString("type", "function_call");
                w.WriteString("status", Status);
                w.WriteString("call_id", CallId);
                w.WriteString("name", Name);
                w.WriteString("arguments", Text.ToString());
                break;
        }
        w.WriteEndObject();
    }

    /// <summary>Writes a content part: output_text (with its empty annotations and logprobs), reasoning_text or summary_text.</summary>
    public static void WritePart(Utf8JsonWriter w, string type, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteString("text", text);
        if (type == "output_text")
        {
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }
}
