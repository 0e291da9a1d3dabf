using Moxing.Core.Tensors;

namespace Moxing.Server.Models;

/// <summary>How many models stay resident, for how long, and how big their engines are.</summary>
public sealed record ModelManagerOptions
{
    /// <summary>Bytes all resident models (weights + KV cache) may use together; 0: three quarters of the machine's memory.</summary>
    public long MaxMemoryBytes { get; init; }

    /// <summary>How long an idle model stays loaded (Ollama's keep_alive default: five minutes).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Context per sequence; 0: the model's own, at most <see cref="DefaultContextCap"/> (<see cref="Inference.Sessions.LowMemory.ContextCap"/> with <see cref="LowMemory"/>).</summary>
    public int Context { get; init; }

    /// <summary>Sequences each model runs at once.</summary>
    public int Parallel { get; init; } = 4;

    /// <summary>The context used when none is configured and the model's own is longer.</summary>
    public const int DefaultContextCap = 4096;

    /// <summary>
    /// --low-memory: engines get <see cref="Inference.Sessions.LowMemory"/>'s settings (Q8_0 KV cache, small prefill chunks,
    /// no prefix cache, context capped); set <see cref="Parallel"/> to <see cref="Inference.Sessions.LowMemory.Parallel"/> with it.
    /// </summary>
    public bool LowMemory { get; init; }

    /// <summary>How KV caches are stored (F16, Q8_0 or F32); null: F16, or Q8_0 with <see cref="LowMemory"/>. A model whose heads
    /// are not a whole number of Q8_0 blocks keeps F16.</summary>
    public DType? KvType { get; init; }

    /// <summary>Prompt-lookup draft tokens a decoding sequence may feed per step, in logit rows no other sequence needs (the reply
    /// is the same; replies that repeat their prompt take fewer steps); 0: off.</summary>
    public int SpeculativeTokens { get; init; }

    /// <summary>The memory limit in effect.</summary>
    public long EffectiveMaxMemory => MaxMemoryBytes > 0 ? MaxMemoryBytes : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4 * 3;
}
