using Moxing.Models;

namespace Moxing.Server.Models;

/// <summary>What an engine for one model may use: its context per sequence, how many sequences at once, and its KV memory.</summary>
/// <param name="Context">Positions per sequence (prompt + completion).</param>
/// <param name="MaxSequences">Sequences that run at once.</param>
/// <param name="KvBudgetBytes">Bytes of KV cache the engine may hold in all.</param>
public sealed record EngineSettings(int Context, int MaxSequences, long KvBudgetBytes)
{
    /// <summary>Told the size of every step the engine runs (metrics); null: nobody.</summary>
    public Inference.Scheduling.IStepObserver? StepObserver { get; init; }

    /// <summary>Bytes of KV cache one position takes (keys and values, float32, every layer).</summary>
    public static long KvBytesPerToken(LoadedModel model)
    {
        var o = model.RequireDecoder().Options;
        return 2L * o.LayerCount * o.KvHeadCount * o.HeadDim * sizeof(float);
    }
}

/// <summary>Builds the generation engine of a loaded decoder model.</summary>
public delegate Inference.Scheduling.IGenerationEngine EngineFactory(LoadedModel model, EngineSettings settings);
