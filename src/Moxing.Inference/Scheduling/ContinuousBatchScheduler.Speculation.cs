namespace Moxing.Inference.Scheduling;

// Speculative decoding by prompt lookup (SchedulerOptions.SpeculativeTokens): a decoding sequence feeds its last token and
// drafts from its own history; the step's logits of every fed position are sampled in order as usual, and the drafts count
// only while they equal what was drawn — the first that does not ends the sequence's step, its later positions are dropped
// from the KV cache. Each emitted token is one ordinary draw, so the reply is the one decoding token by token gives.
public sealed partial class ContinuousBatchScheduler
{
    // Draft tokens each batch slot fed this step (0: none).
    private readonly int[] _drafts;

    // Writes up to `most` drafts after the sequence's last token in its history and returns how many; as many as its
    // budget, context, KV capacity and reader room leave (each confirmed draft is one more token emitted).
    private int Draft(ScheduledSequence s, int most)
    {
        var limit = Math.Min(Math.Min(most, s.DraftLimit), Math.Min(s.Request.Limits.MaxTokens - s.Produced, s.Room) - 1);
        limit = Math.Min(limit, Math.Min(s.Kv!.Capacity, _context) - s.Position - 1);
        if (limit <= 0) return 0;
        return PromptLookup.Propose(s.History.AsSpan(0, s.Position + 1), s.History.AsSpan(s.Position + 1, limit));
    }

    // Samples the rows of a speculating sequence in order from `row`: each draw is applied as any other; a draw that differs
    // from the draft fed after it (or the last row's) ends the step, and the positions computed from drafts that did not
    // come true leave the KV cache.
    private void Verify(ScheduledSequence s, int row, int drafted)
    {
        var fed = s.Position - drafted - 1;
        var confirmed = 0;
        for (; confirmed <= drafted; confirmed++)
        {
            s.Position = fed + confirmed + 1;
            var draft = confirmed < drafted ? s.History[s.Position] : -1;
            Apply(s, Draw(s, _logits.AsSpan((row + confirmed) * _vocab, _vocab), _scorer));
            if (s.State != SequenceState.Running) return;
            if (s.History[s.Position] != draft) break;
        }
        // rows cost compute on a CPU: after a miss the next drafts are no longer than what came true, plus one; after a
        // full hit they may double
        s.DraftLimit = confirmed >= drafted ? Math.Min(SchedulerOptions.MaxSpeculativeTokens, 2 * drafted) : confirmed + 1;
        if (s.Kv!.Length > s.Position)
        {
            s.Kv.Truncate(s.Position);
            _kvChanged = true;
        }
        Publish(s);
    }
}
