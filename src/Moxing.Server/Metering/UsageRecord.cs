namespace Moxing.Server.Metering;

/// <summary>One request as metered: who, which model, what it cost and how long it took. Text only when the tenant opted in.</summary>
public sealed record UsageRecord
{
    /// <summary>When the request ended.</summary>
    public required DateTimeOffset Time { get; init; }
    /// <summary>The request id (X-Request-Id).</summary>
    public required string RequestId { get; init; }
    /// <summary>The tenant; null in open (keyless) mode.</summary>
    public string? Tenant { get; init; }
    /// <summary>The API key's public id; null in open mode.</summary>
    public string? KeyId { get; init; }
    /// <summary>The model name.</summary>
    public required string Model { get; init; }
    /// <summary>The endpoint path, e.g. /v1/chat/completions.</summary>
    public required string Endpoint { get; init; }
    /// <summary>The HTTP status returned.</summary>
    public required int Status { get; init; }
    /// <summary>How it ended: stop, length, cancelled, error, rejected…</summary>
    public required string Outcome { get; init; }
    /// <summary>Prompt tokens.</summary>
    public int PromptTokens { get; init; }
    /// <summary>Prompt tokens served from the prefix cache.</summary>
    public int CachedTokens { get; init; }
    /// <summary>Generated tokens.</summary>
    public int CompletionTokens { get; init; }
    /// <summary>Milliseconds waiting for the scheduler.</summary>
    public double QueueMs { get; init; }
    /// <summary>Milliseconds to the first token.</summary>
    public double TimeToFirstTokenMs { get; init; }
    /// <summary>Milliseconds in all.</summary>
    public double TotalMs { get; init; }
    /// <summary>The prompt, only when the tenant opted in to storing text.</summary>
    public string? PromptText { get; init; }
    /// <summary>The completion, only when the tenant opted in to storing text.</summary>
    public string? CompletionText { get; init; }

    /// <summary>Prompt plus completion tokens.</summary>
    public long TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>Which usage rows to read: all filters optional, times inclusive-exclusive.</summary>
public sealed record UsageQuery(string? Tenant = null, string? KeyId = null, string? Model = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null);
