namespace Moxing.Inference.Scheduling;

/// <summary>Told about every step a scheduler runs and every preemption (for metrics); called on the scheduler's thread, so it must be quick and allocation-free.</summary>
public interface IStepObserver
{
    /// <summary>A step advanced <paramref name="sequences"/> sequences by <paramref name="tokens"/> tokens in all (prompt chunks and decoded tokens).</summary>
    void StepCompleted(int sequences, int tokens);

    /// <summary>A running sequence gave its KV blocks back, to be recomputed when it resumes.</summary>
    void Preempted();
}
