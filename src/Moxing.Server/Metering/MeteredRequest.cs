using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Generation;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Tenants;

namespace Moxing.Server.Metering;

/// <summary>
/// One metered request: who asked (key and admission), what it cost as its choices report it, and how it ended. Its usage
/// row is written once, by <see cref="Commit"/>, which the response writers call before the last byte of a response.
/// </summary>
public sealed class MeteredRequest
{
    /// <summary>HTTP status stored for a request the client abandoned (nginx's "client closed request").</summary>
    public const int ClientClosedStatus = 499;

    private readonly UsageStore _store;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly Lock _gate = new();
    private int _promptTokens, _cachedTokens, _completionTokens;
    private TimeSpan _queue, _firstToken;
    private bool _anyChoice;
    private readonly HashSet<int> _countedPrompts = [];
    private ApiException? _failure;
    private int _committed;

    /// <summary>A request to <paramref name="endpoint"/> by <paramref name="admission"/>'s key (null in open mode).</summary>
    public MeteredRequest(UsageStore store, string endpoint, string requestId, KeyAdmission? admission)
    {
        _store = store;
        Endpoint = endpoint;
        RequestId = requestId;
        Admission = admission;
    }

    /// <summary>The metered request of <paramref name="context"/>, if it is metered.</summary>
    public static MeteredRequest? Of(HttpContext context) => context.Items[typeof(MeteredRequest)] as MeteredRequest;

    /// <summary>The endpoint path.</summary>
    public string Endpoint { get; }

    /// <summary>The request id.</summary>
    public string RequestId { get; }

    /// <summary>The key's admission; null in open mode.</summary>
    public KeyAdmission? Admission { get; }

    /// <summary>The model served (empty until one is).</summary>
    public string Model { get; set; } = "";

    /// <summary>True once the usage row is written.</summary>
    public bool Committed => Volatile.Read(ref _committed) != 0;

    /// <summary>
    /// Checks a generation of n choices for each of the prompts of <paramref name="promptLengths"/> tokens against the key's
    /// limits before any model work and reserves its tokens (prompts + choices × budget); returns <paramref name="parameters"/>
    /// with the allowed budget, the key's tenant and priority, and the tenant's (or key's) weight.
    /// </summary>
    public GenerationParameters Admit(ResidentModel model, IReadOnlyList<int> promptLengths, GenerationParameters parameters, int n, string promptParam)
    {
        Model = model.Name;
        var promptTokens = promptLengths.Sum();
        if (Admission is not { } admission)
        {
            lock (_gate) _promptTokens = promptTokens;
            return parameters;
        }
        // the longest prompt leaves the least room in the context for the budget every choice shares
        var budget = TextCompletion.Budget(model, promptLengths.Max(), admission.Budget(promptTokens, parameters.MaxTokens, promptParam));
        admission.Reserve(promptTokens + (long)promptLengths.Count * n * budget);
        // Counted only once admitted: a refused request costs its tenant nothing.
        lock (_gate) _promptTokens = promptTokens;
        var key = admission.Key;
        return parameters with { MaxTokens = budget, Tenant = key.Tenant, Priority = key.Limits.Priority, Weight = key.Weight };
    }

    /// <summary>Checks and reserves an embedding request of <paramref name="tokens"/> input tokens before the encoder runs.</summary>
    public void AdmitEmbedding(ResidentModel model, int tokens)
    {
        Model = model.Name;
        if (Admission is { } admission)
        {
            admission.Budget(tokens, null, "input");
            admission.Reserve(tokens);
        }
        lock (_gate) _promptTokens = tokens;
    }

    /// <summary>Adds one finished (or cancelled) choice of prompt <paramref name="prompt"/>: its completion tokens, and the
    /// prompt and cache counts of the prompt's first choice to report.</summary>
    public void AddChoice(CompletionResult result, int prompt = 0)
    {
        lock (_gate)
        {
            if (_countedPrompts.Add(prompt))
            {
                // the first report replaces the admitted estimate
                if (_countedPrompts.Count == 1) _promptTokens = _cachedTokens = 0;
                _promptTokens += result.PromptTokens;
                _cachedTokens += result.CachedPromptTokens;
            }
            _completionTokens += result.CompletionTokens;
            _queue = _anyChoice ? TimeSpan.FromTicks(Math.Max(_queue.Ticks, result.QueueTime.Ticks)) : result.QueueTime;
            _firstToken = _anyChoice ? TimeSpan.FromTicks(Math.Min(_firstToken.Ticks, result.PromptTime.Ticks)) : result.PromptTime;
            _anyChoice = true;
        }
    }

    /// <summary>Records the error a request ended with after its response started (a stream's error event).</summary>
    public void Fail(ApiException error) => _failure ??= error;

    /// <summary>Writes the usage row (once) with <paramref name="status"/>, and settles the key's token reservation.</summary>
    public void Commit(int status)
    {
        if (Interlocked.Exchange(ref _committed, 1) != 0) return;
        UsageRecord record;
        lock (_gate)
            record = new UsageRecord
            {
                Time = DateTimeOffset.UtcNow,
                RequestId = RequestId,
                Tenant = Admission?.Key.Tenant,
                KeyId = Admission?.Key.Id,
                Model = Model,
                Endpoint = Endpoint,
                Status = status,
                Outcome = status == ClientClosedStatus ? "cancelled" : _failure is { } f ? f.Code ?? f.Type : status >= 400 ? "error" : "ok",
                PromptTokens = _promptTokens,
                CachedTokens = _cachedTokens,
                CompletionTokens = _completionTokens,
                QueueMs = _queue.TotalMilliseconds,
                TimeToFirstTokenMs = _firstToken.TotalMilliseconds,
                TotalMs = Stopwatch.GetElapsedTime(_started).TotalMilliseconds,
            };
        Admission?.Settle(record.TotalTokens);
        _store.Record(record);
    }
}
