using Moxing.Core.Tensors;
using Moxing.Models;
using Moxing.Models.Decoder;

namespace Moxing.Server.Models;

/// <summary>What an engine for one model may use: its context per sequence, how many sequences at once, and its KV memory.</summary>
/// <param name="Context">Positions per sequence (prompt + completion).</param>
/// <param name="MaxSequences">Sequences that run at once (admitted by the KV memory they use, not their worst case).</param>
/// <param name="KvBudgetBytes">Bytes of KV cache the engine may hold in all.</param>
public sealed record EngineSettings(int Context, int MaxSequences, long KvBudgetBytes)
{
    /// <summary>Sequences the KV budget holds at full context: the most that run without ever being preempted.</summary>
    public int FullContextSequences { get; init; } = 1;

    /// <summary>Told the size of every step the engine runs (metrics); null: nobody.</summary>
    public Inference.Scheduling.IStepObserver? StepObserver { get; init; }

    /// <summary>How the KV cache stores keys and values (F16, Q8_0 or F32).</summary>
    public DType KvType { get; init; } = DType.F16;

    /// <summary>Reuse the KV blocks of prompt prefixes seen before.</summary>
    public bool PrefixCaching { get; init; } = true;

    /// <summary>Recurrent-state snapshots the prefix cache keeps in the KV budget (a model with recurrent layers); -1: the scheduler's choice.</summary>
    public int StateSnapshots { get; init; } = -1;

    /// <summary>Most prompt tokens fed per step; 0: the scheduler's default.</summary>
    public int PrefillChunkTokens { get; init; }

    /// <summary>Prompt-lookup draft tokens per decoding sequence and step (<see cref="Inference.Scheduling.SchedulerOptions.SpeculativeTokens"/>); 0: off.</summary>
    public int SpeculativeTokens { get; init; }

    /// <summary>Bytes of KV cache one position takes (keys and values stored as <paramref name="kvType"/>, every layer).</summary>
    public static long KvBytesPerToken(LoadedModel model, DType kvType)
    {
        var o = model.RequireDecoder().Options;
        return KvBlockPool.BytesPerPosition(o, kvType);
    }
}

/// <summary>Builds the generation engine of a loaded decoder model.</summary>
public delegate Inference.Scheduling.IGenerationEngine EngineFactory(LoadedModel model, EngineSettings settings);
