using System.Diagnostics;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;

namespace Moxing.Server.Observability;

/// <summary>
/// Times one generation (one choice) of a request: time to first token, the gap before each later token, and at the end
/// its phases (queue, prefill, decode) as metrics and child spans. Token calls are allocation-free.
/// </summary>
public sealed class GenerationTrace
{
    private readonly RequestTelemetry _request;
    private readonly ServerMetrics _metrics;
    private readonly HistogramSeries _interToken;
    private readonly string _model;
    private readonly int _choice;
    private readonly int _promptTokens;
    private readonly long _submitted = Stopwatch.GetTimestamp();
    private readonly DateTime _submittedUtc = DateTime.UtcNow;
    private long _lastToken;
    private int _tokens;
    private int _ended;

    internal GenerationTrace(RequestTelemetry request, ServerMetrics metrics, string model, int choice, int promptTokens)
    {
        _request = request;
        _metrics = metrics;
        _model = model;
        _choice = choice;
        _promptTokens = promptTokens;
        _interToken = metrics.InterTokenLatency.Series(model);
    }

    /// <summary>A token arrived from the engine.</summary>
    public void Token()
    {
        var now = Stopwatch.GetTimestamp();
        if (_tokens++ == 0) _metrics.TimeToFirstToken.Series(_model).Observe(_request.Elapsed(now).TotalSeconds);
        else _interToken.Observe(Stopwatch.GetElapsedTime(_lastToken, now).TotalSeconds);
        _lastToken = now;
    }

    /// <summary>
    /// The generation ended normally; <paramref name="outcome"/> is the engine's account (null when the server stopped it at a
    /// stop string, then the server's own clock is used).
    /// </summary>
    public void Ended(FinishReason finish, int promptTokens, int cachedTokens, int completionTokens, GenerationOutcome? outcome)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        var total = Stopwatch.GetElapsedTime(_submitted);
        var firstToken = _tokens > 0 ? Stopwatch.GetElapsedTime(_submitted, _lastToken) : total;
        var queue = outcome?.QueueTime;
        var prefillEnd = outcome?.TimeToFirstToken ?? firstToken;
        var end = outcome?.TotalTime ?? total;
        _metrics.GenerationEnded(_model, Reason(finish), promptTokens, cachedTokens, completionTokens, _request.Elapsed(Stopwatch.GetTimestamp()),
            queue, prefillEnd - (queue ?? TimeSpan.Zero), end - prefillEnd);
        _request.GenerationEnded(promptTokens, cachedTokens, completionTokens, Reason(finish), queue, prefillEnd);
        if (_request.Activity is not { } parent) return;
        var start = queue ?? TimeSpan.Zero;
        if (queue is { } q) MoxingTracing.Phase(parent, "queue", _submittedUtc, q, _choice);
        MoxingTracing.Phase(parent, "prefill", _submittedUtc + start, prefillEnd - start, _choice);
        MoxingTracing.Phase(parent, "decode", _submittedUtc + prefillEnd, end - prefillEnd, _choice);
    }

    /// <summary>The generation was cancelled (<paramref name="cancelled"/>: the client left or a deadline passed) or failed.</summary>
    public void Aborted(bool cancelled)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0) return;
        var reason = cancelled ? "abort" : "error";
        _metrics.GenerationEnded(_model, reason, _promptTokens, 0, _tokens, _request.Elapsed(Stopwatch.GetTimestamp()), null, null, null);
        _request.GenerationEnded(_promptTokens, 0, _tokens, reason, null, null);
    }

    // vLLM's finished_reason values.
    private static string Reason(FinishReason finish) => finish switch
    {
        FinishReason.Stop => "stop",
        FinishReason.Length or FinishReason.ContextFull => "length",
        _ => "abort",
    };
}
