using System.Text.Json;

namespace Moxing.Server.Metering;

/// <summary>The JSON shape of a usage row in <c>GET /admin/usage</c> (no prompt or completion text), and of a response's usage.</summary>
public static class UsageJson
{
    /// <summary>A response's <c>"usage": {"prompt_tokens", "total_tokens"}</c> for a request that generates nothing (embeddings, rerank, classify).</summary>
    public static void WritePromptOnly(Utf8JsonWriter w, int promptTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", promptTokens);
        w.WriteNumber("total_tokens", promptTokens);
        w.WriteEndObject();
    }

    /// <summary>Writes one row as an object with the CSV's columns.</summary>
    public static void Write(Utf8JsonWriter w, UsageRecord r)
    {
        w.WriteStartObject();
        w.WriteString("time", r.Time);
        w.WriteString("request_id", r.RequestId);
        w.WriteString("tenant", r.Tenant);
        w.WriteString("key_id", r.KeyId);
        w.WriteString("model", r.Model);
        w.WriteString("endpoint", r.Endpoint);
        w.WriteNumber("status", r.Status);
        w.WriteString("outcome", r.Outcome);
        w.WriteNumber("prompt_tokens", r.PromptTokens);
        w.WriteNumber("cached_tokens", r.CachedTokens);
        w.WriteNumber("completion_tokens", r.CompletionTokens);
        w.WriteNumber("queue_ms", r.QueueMs);
        w.WriteNumber("ttft_ms", r.TimeToFirstTokenMs);
        w.WriteNumber("total_ms", r.TotalMs);
        w.WriteEndObject();
    }
}
