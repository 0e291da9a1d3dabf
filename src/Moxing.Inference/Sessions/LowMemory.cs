using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Sessions;

/// <summary>
/// What `--low-memory` (run, serve, bench) sets for boards with 1–2 GB of RAM: weights stay memory-mapped in their stored
/// type (never copied), a small Q8_0 KV cache (F16 when heads are not a multiple of 32 wide) over a capped context, small prefill chunks, one worker pool of at most
/// <see cref="MaxThreads"/> threads, one sequence at a time and no prefix cache when serving.
/// </summary>
public static class LowMemory
{
    /// <summary>Most positions per sequence.</summary>
    public const int ContextCap = 2048;

    /// <summary>How keys and values are stored: 8.5 bits per value instead of F16's 16.</summary>
    public const DType KvType = DType.Q8_0;

    /// <summary><see cref="KvType"/>, or F16 for a model whose head dimension is not a whole number of Q8_0 blocks (32).</summary>
    public static DType KvTypeFor(DecoderOptions model) => KvCacheType.For(model, KvType);

    /// <summary>Tokens per prefill chunk: the activation scratch grows with it (about 100 KB per token for a 0.5B model).</summary>
    public const int PrefillChunk = 16;

    /// <summary>Sequences a served model runs at once.</summary>
    public const int Parallel = 1;

    /// <summary>Most threads of the worker pool when none is asked for.</summary>
    public const int MaxThreads = 4;

    /// <summary>The worker pool's size when none is asked for: one per physical core, at most <see cref="MaxThreads"/>.</summary>
    public static int Threads => Math.Min(CpuTopology.PhysicalCores, MaxThreads);

    /// <summary>Keeps every weight of <paramref name="model"/> in its file's layout: no repacked copies (<see cref="Models.Layers.Linear.Repack"/>).</summary>
    public static void KeepWeightsMapped(DecoderModel model)
    {
        foreach (var linear in model.Weights.Linears) linear.Repack = false;
    }

    /// <summary>The context for a model trained for <paramref name="modelContext"/> positions when <paramref name="requested"/> (0: none) was asked for.</summary>
    public static int Context(int requested, int modelContext)
    {
        var context = requested > 0 ? requested : ContextCap;
        return modelContext > 0 ? Math.Min(context, modelContext) : context;
    }
}
