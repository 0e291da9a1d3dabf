using System.Data.Common;
using System.Globalization;
using Moxing.Server.Data;

namespace Moxing.Server.Metering;

/// <summary>Writes and reads usage rows; each write is its own committed transaction before the call returns.</summary>
public sealed class UsageStore(MoxingDatabase db)
{
    private const string Columns =
        "time, request_id, tenant, key_id, model, endpoint, status, outcome, prompt_tokens, cached_tokens, completion_tokens, queue_ms, ttft_ms, total_ms, prompt_text, completion_text";

    /// <summary>Stores one row durably (committed; WAL on SQLite) before returning.</summary>
    public void Record(UsageRecord r) => db.Execute(
        $"INSERT INTO usage ({Columns}) VALUES (@time, @rid, @tenant, @key, @model, @endpoint, @status, @outcome, @prompt, @cached, @completion, @queue, @ttft, @total, @ptext, @ctext)",
        ("@time", r.Time), ("@rid", r.RequestId), ("@tenant", r.Tenant), ("@key", r.KeyId), ("@model", r.Model),
        ("@endpoint", r.Endpoint), ("@status", r.Status), ("@outcome", r.Outcome), ("@prompt", r.PromptTokens),
        ("@cached", r.CachedTokens), ("@completion", r.CompletionTokens), ("@queue", r.QueueMs), ("@ttft", r.TimeToFirstTokenMs),
        ("@total", r.TotalMs), ("@ptext", r.PromptText), ("@ctext", r.CompletionText));

    /// <summary>The rows matching <paramref name="q"/>, oldest first.</summary>
    public IReadOnlyList<UsageRecord> Query(UsageQuery q)
    {
        var (where, parameters) = Filter(q);
        return db.Query($"SELECT {Columns} FROM usage{where} ORDER BY seq", Read, parameters);
    }

    /// <summary>Prompt + completion tokens of the rows matching <paramref name="q"/> (for token quotas).</summary>
    public long TokensUsed(UsageQuery q)
    {
        var (where, parameters) = Filter(q);
        return db.ScalarInt64($"SELECT COALESCE(SUM(prompt_tokens + completion_tokens), 0) FROM usage{where}", parameters);
    }

    /// <summary>Writes rows as CSV with a header (RFC 4180 quoting).</summary>
    public static void WriteCsv(IEnumerable<UsageRecord> rows, TextWriter output)
    {
        output.WriteLine("time,request_id,tenant,key_id,model,endpoint,status,outcome,prompt_tokens,cached_tokens,completion_tokens,queue_ms,ttft_ms,total_ms");
        var c = CultureInfo.InvariantCulture;
        foreach (var r in rows)
            output.WriteLine(string.Join(',', StoredTime.Text(r.Time), Csv(r.RequestId), Csv(r.Tenant), Csv(r.KeyId), Csv(r.Model), Csv(r.Endpoint),
                r.Status.ToString(c), Csv(r.Outcome), r.PromptTokens.ToString(c), r.CachedTokens.ToString(c), r.CompletionTokens.ToString(c),
                r.QueueMs.ToString("F1", c), r.TimeToFirstTokenMs.ToString("F1", c), r.TotalMs.ToString("F1", c)));
    }

    private static (string Sql, (string, object?)[] Parameters) Filter(UsageQuery q) => SqlFilter.Where(
        ("tenant = @tenant", "@tenant", q.Tenant), ("key_id = @key", "@key", q.KeyId), ("model = @model", "@model", q.Model),
        ("time >= @since", "@since", q.Since), ("time < @until", "@until", q.Until));

    private UsageRecord Read(DbDataReader r) => new()
    {
        Time = db.ReadTime(r, 0),
        RequestId = r.GetString(1),
        Tenant = r.IsDBNull(2) ? null : r.GetString(2),
        KeyId = r.IsDBNull(3) ? null : r.GetString(3),
        Model = r.GetString(4),
        Endpoint = r.GetString(5),
        Status = r.GetInt32(6),
        Outcome = r.GetString(7),
        PromptTokens = r.GetInt32(8),
        CachedTokens = r.GetInt32(9),
        CompletionTokens = r.GetInt32(10),
        QueueMs = r.GetDouble(11),
        TimeToFirstTokenMs = r.GetDouble(12),
        TotalMs = r.GetDouble(13),
        PromptText = r.IsDBNull(14) ? null : r.GetString(14),
        CompletionText = r.IsDBNull(15) ? null : r.GetString(15),
    };

    private static string Csv(string? value) =>
        value == null ? "" : value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
}
