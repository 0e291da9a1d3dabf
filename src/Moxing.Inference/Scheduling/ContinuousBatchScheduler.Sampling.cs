using Moxing.Core.Kernels;
using Moxing.Inference.Generation;

namespace Moxing.Inference.Scheduling;

// Choosing each sequence's next token after a step: the draws (constraint mask, sampler, log-probabilities) of a step's
// sequences run together on the worker pool — each sequence has its own sampler and constraint, and each thread its own
// scorer — while stop checks and emission stay on the scheduler thread, in batch order. Drawn one after another, 16
// sequences' draws over a 152k vocabulary kept the workers waiting for a few percent of every step.
public sealed partial class ContinuousBatchScheduler
{
    // Batch slots drawn this step, and what each drew (or the error it raised).
    private readonly int[] _drawAt;
    private readonly GeneratedToken[] _drawn;
    private readonly Exception?[] _drawErrors;
    private readonly ThreadLocal<LogprobScorer> _scorers;

    // Draws the next token of the first `draws` slots of _drawAt, on the worker pool.
    private void DrawAll(int draws)
    {
        var job = new DrawJob(this);
        WorkerPool.Shared.ParallelFor(draws, ref job);
    }

    private readonly struct DrawJob(ContinuousBatchScheduler owner) : IParallelJob
    {
        public void Execute(int start, int end)
        {
            for (var k = start; k < end; k++) owner.DrawSlot(owner._drawAt[k]);
        }
    }

    private void DrawSlot(int i)
    {
        var s = _batch[i];
        try
        {
            _drawn[i] = Draw(s, _logits.AsSpan(_rows[i] * _vocab, _vocab), Scored(s.Request) ? _scorers.Value! : null);
            _drawErrors[i] = null;
        }
        catch (Exception e)
        {
            _drawErrors[i] = e;
        }
    }

    private void ApplyDrawn(ScheduledSequence s, int i)
    {
        if (_drawErrors[i] is { } error)
        {
            _drawErrors[i] = null;
            Fail(s, error);
        }
        else Apply(s, _drawn[i]);
    }

    private static bool Scored(GenerationRequest request) => request.Logprobs || request.TopLogprobs > 0;

    // The log-probability of the prompt's next token under the model's own logits (no constraint, bias or penalty applies).
    private void ScorePromptToken(ScheduledSequence s, ReadOnlySpan<float> logits, int id)
    {
        _scorer.Capture(logits);
        s.Emit(new GeneratedToken(id, _scorer.Logprob(id), s.Request.TopLogprobs > 0 ? _scorer.Top(s.Request.TopLogprobs) : null, InPrompt: true));
    }

    // Mirrors TokenGenerator: constraint mask, sample, stop ids, emit, then budget and context limits.
    private void SampleNext(ScheduledSequence s, Span<float> logits)
    {
        if (s.Request.Limits.MaxTokens == 0)
        {
            // a prompt that is only scored
            End(s, FinishReason.Length);
            return;
        }
        Apply(s, Draw(s, logits, _scorer));
    }

    // The sequence's next token under its constraint and sampler, with its log-probabilities when asked for
    // (`scorer` is only read then); touches nothing but the sequence's own state.
    private static GeneratedToken Draw(ScheduledSequence s, Span<float> logits, LogprobScorer? scorer)
    {
        var request = s.Request;
        s.Constraint?.Mask(logits);
        if (Scored(request)) scorer!.Capture(logits);
        var id = s.Sampler!.Sample(logits);
        return Scored(request)
            ? new GeneratedToken(id, request.Logprobs ? scorer!.Logprob(id) : float.NaN, scorer!.Top(request.TopLogprobs))
            : new GeneratedToken(id, float.NaN, null);
    }

    // A drawn token: a stop id ends the sequence, else it is observed, emitted and checked against the limits.
    private void Apply(ScheduledSequence s, GeneratedToken token)
    {
        var request = s.Request;
        s.MarkSampled();
        var id = token.Id;
        if (s.StopIds.AsSpan().Contains(id))
        {
            End(s, FinishReason.Stop);
            return;
        }
        s.Sampler!.Observe(id);
        s.Constraint?.Accept(id);
        s.Emit(token);
        Interlocked.Increment(ref _generated);
        if (s.Constraint is { IsComplete: true }) End(s, FinishReason.Stop);
        else if (s.Produced >= request.Limits.MaxTokens) End(s, FinishReason.Length);
        else if (s.Position >= _context) End(s, FinishReason.ContextFull);
        else s.History[s.Position] = id;
    }
}
