using Moxing.Inference.Scheduling;
using Moxing.Models;

namespace Moxing.Server.Models;

/// <summary>The engines the server can run models on.</summary>
public static class Engines
{
    /// <summary>Positions per KV block in the continuous-batching scheduler (its memory unit).</summary>
    public static int KvBlockTokens { get; } = new SchedulerOptions().KvBlockTokens;

    /// <summary>Continuous batching: all running sequences of the model advance together, new requests join between steps.</summary>
    public static IGenerationEngine ContinuousBatching(LoadedModel model, EngineSettings settings) =>
        new ContinuousBatchScheduler(model.RequireDecoder(), new SchedulerOptions
        {
            ContextSize = settings.Context,
            MaxRunningSequences = settings.MaxSequences,
            KvMemoryBytes = settings.KvBudgetBytes,
            KvType = settings.KvType,
            PrefixCaching = settings.PrefixCaching,
            StateSnapshots = settings.StateSnapshots,
            PrefillChunkTokens = settings.PrefillChunkTokens > 0 ? settings.PrefillChunkTokens : new SchedulerOptions().PrefillChunkTokens,
            StepObserver = settings.StepObserver,
            SpeculativeTokens = settings.SpeculativeTokens,
        });
}
