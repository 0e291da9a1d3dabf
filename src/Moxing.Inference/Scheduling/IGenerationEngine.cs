namespace Moxing.Inference.Scheduling;

/// <summary>Runs generation requests for one loaded decoder model, many at once.</summary>
public interface IGenerationEngine : IAsyncDisposable
{
    /// <summary>
    /// Queues <paramref name="request"/> and returns its stream at once. Cancelling <paramref name="cancellation"/> stops the
    /// request and frees its memory; a full queue or a prompt over the context throws before anything is queued.
    /// </summary>
    GenerationStream Submit(GenerationRequest request, CancellationToken cancellation = default);
}
