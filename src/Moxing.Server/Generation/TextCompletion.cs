using System.Diagnostics;
using System.Runtime.CompilerServices;
using Moxing.Inference.Constraints;
using Moxing.Inference.Generation;
using Moxing.Inference.Scheduling;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Observability;

namespace Moxing.Server.Generation;

/// <summary>A piece of completion text and the tokens that produced it (for logprobs).</summary>
/// <param name="Text">Text that can be shown now (never part of a stop string or a broken character).</param>
/// <param name="Tokens">The tokens consumed since the previous piece.</param>
public sealed record CompletionPiece(string Text, IReadOnlyList<GeneratedToken> Tokens);

/// <summary>How a completion ended, with exact token counts and timings.</summary>
/// <param name="Finish">Why it ended.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CachedPromptTokens">Prompt tokens served from the prefix cache.</param>
/// <param name="CompletionTokens">Tokens generated up to the end (a stop string's tokens included).</param>
/// <param name="PromptTime">Time until the first token (queue and prefill).</param>
/// <param name="GenerationTime">Time from the first token to the end.</param>
/// <param name="QueueTime">Time waiting for the engine before any work on it.</param>
public sealed record CompletionResult(FinishReason Finish, int PromptTokens, int CachedPromptTokens, int CompletionTokens,
    TimeSpan PromptTime, TimeSpan GenerationTime, TimeSpan QueueTime = default);

/// <summary>
/// One choice of a completion: submits the prompt to the model's engine and turns its token stream into text, decoding
/// incrementally and cutting at stop strings (the engine is stopped at once when one appears).
/// </summary>
public sealed class TextCompletion(ResidentModel model, int[] promptIds, GenerationParameters parameters)
{
    /// <summary>How it ended; set once <see cref="RunAsync"/> has been read to the end.</summary>
    public CompletionResult? Result { get; private set; }

    /// <summary>The token budget for <paramref name="promptLength"/> prompt tokens in <paramref name="model"/>'s context, or a 400.</summary>
    public static int Budget(ResidentModel model, int promptLength, int? requested)
    {
        var context = model.Context;
        var room = context - promptLength;
        if (room < 1)
            throw new ApiException(400, $"the prompt has {promptLength} tokens but the context of '{model.Name}' holds {context}; shorten it",
                param: "messages", code: "context_length_exceeded");
        return Math.Min(room, requested ?? int.MaxValue);
    }

    /// <summary>Runs the completion and yields its text as it becomes final.</summary>
    public async IAsyncEnumerable<CompletionPiece> RunAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        var engine = model.RequireEngine();
        var tokenizer = model.Model.RequireTokenizer();
        ITokenConstraint? constraint = parameters.Constraint?.Invoke(model.Model);
        if (parameters.LogitBias is { Count: > 0 } bias) constraint = new LogitBiasConstraint(bias, constraint);
        var request = new GenerationRequest
        {
            PromptIds = promptIds,
            Spans = parameters.Spans,
            Sampling = parameters.Sampling,
            Limits = new GenerationLimits(Budget(model, promptIds.Length, parameters.MaxTokens), parameters.IgnoreEos ? [] : model.Model.EosTokenIds),
            Constraint = constraint,
            Logprobs = parameters.Logprobs,
            TopLogprobs = parameters.TopLogprobs,
            // an echo with log-probabilities needs the prompt scored; one of 0 tokens needs it to run at all
            ScorePrompt = parameters.Echo && (parameters.Logprobs || parameters.MaxTokens == 0),
            Tenant = parameters.Tenant,
            Priority = parameters.Priority,
            Weight = parameters.Weight,
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var clock = Stopwatch.StartNew();
        var stream = engine.Submit(request, stop.Token);
        var trace = RequestTelemetry.Current?.StartGeneration(model.Name, promptIds.Length);
        var decoder = tokenizer.CreateIncrementalDecoder(skipSpecialTokens: !parameters.SpecialTokensInText, parameters.KeptSpecialTokens);
        var filter = new StopStringFilter(parameters.Stops);
        var pending = new List<GeneratedToken>();
        var prompt = new List<GeneratedToken>();
        var generated = 0;
        var firstToken = TimeSpan.Zero;
        var drained = false;
        var finished = false;
        try
        {
            if (parameters.Echo && !request.ScorePrompt) yield return Echo([]);
            await foreach (var token in stream.Tokens.ReadAllAsync(stop.Token))
            {
                if (token.InPrompt)
                {
                    prompt.Add(token);
                    if (prompt.Count == promptIds.Length) yield return Echo(parameters.Logprobs ? prompt.ToArray() : []);
                    continue;
                }
                trace?.Token();
                if (generated++ == 0) firstToken = clock.Elapsed;
                pending.Add(token);
                var text = filter.Push(decoder.Add(token.Id));
                if (text.Length == 0 && !filter.Stopped) continue;
                yield return new CompletionPiece(text, pending.ToArray());
                pending.Clear();
                if (filter.Stopped) break;
            }
            if (!filter.Stopped)
            {
                drained = true;
                var rest = filter.Push(decoder.Flush());
                rest += filter.Flush();
                if (rest.Length > 0 || pending.Count > 0) yield return new CompletionPiece(rest, pending.ToArray());
            }
            finished = true;
        }
        finally
        {
            // Frees the engine's sequence at once when a stop string ended the text or the reader left early.
            if (!drained) stop.Cancel();
            if (!finished)
            {
                // Left early (client gone, deadline) or failed: counted as aborted, and what the engine produced is still metered.
                trace?.Aborted(cancellation.IsCancellationRequested);
                Result = await PartialResultAsync(stream, generated, clock.Elapsed);
            }
        }
        var outcome = await OutcomeAsync(stream, filter.Stopped);
        if (generated == 0) firstToken = clock.Elapsed;
        Result = new CompletionResult(filter.Stopped ? FinishReason.Stop : outcome?.Finish ?? FinishReason.Stop,
            outcome?.PromptTokens ?? promptIds.Length, outcome?.CachedPromptTokens ?? 0, generated,
            outcome?.TimeToFirstToken ?? firstToken, clock.Elapsed - (outcome?.TimeToFirstToken ?? firstToken), outcome?.QueueTime ?? TimeSpan.Zero);
        trace?.Ended(Result.Finish, Result.PromptTokens, Result.CachedPromptTokens, generated, outcome);
    }

    // The prompt as text, before the reply (special tokens such as BOS left out, as in the reply), with its scored tokens.
    private CompletionPiece Echo(GeneratedToken[] tokens) =>
        new(model.Model.RequireTokenizer().Decode(promptIds, skipSpecialTokens: true), tokens);

    private async Task<CompletionResult> PartialResultAsync(GenerationStream stream, int received, TimeSpan elapsed)
    {
        try
        {
            // The engine ends a cancelled sequence between steps; the bound only guards against an engine that has stopped.
            var o = await stream.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            return new CompletionResult(FinishReason.Cancelled, o.PromptTokens, o.CachedPromptTokens, Math.Max(o.CompletionTokens, received),
                o.TimeToFirstToken, o.TotalTime - o.TimeToFirstToken, o.QueueTime);
        }
        catch (Exception)
        {
            return new CompletionResult(FinishReason.Cancelled, promptIds.Length, 0, received, elapsed, TimeSpan.Zero);
        }
    }

    // The engine's outcome; when we stopped it ourselves it may end as cancelled instead, and the counts are ours.
    private static async Task<GenerationOutcome?> OutcomeAsync(GenerationStream stream, bool stoppedByUs)
    {
        try
        {
            return await stream.Completion;
        }
        catch (OperationCanceledException) when (stoppedByUs)
        {
            return null;
        }
    }
}
