using Moxing.Core.Kernels;
using Moxing.Inference.Sessions;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>The `--low-memory` switch of run, serve and bench: the settings of <see cref="LowMemory"/>.</summary>
public static class LowMemoryOption
{
    /// <summary>The switch's name.</summary>
    public const string Name = "low-memory";

    /// <summary>Its usage line.</summary>
    public const string Help =
        "  --low-memory           for boards with 1–2 GB of RAM: context at most 2048, Q8_0 KV cache, prefill chunks of 16,\n" +
        "                         at most 4 worker threads, weights only memory-mapped (docs/EDGE.md)\n";

    /// <summary>
    /// Sizes the shared worker pool before its first use: <paramref name="requested"/> threads when given (an error when the
    /// pool already runs another count), else under --low-memory <see cref="LowMemory.Threads"/> (kept as it is when the
    /// pool already runs, as in a host that started it), else one per physical core.
    /// </summary>
    public static void ConfigurePool(bool lowMemory, int requested)
    {
        if (requested > 0) WorkerPool.ConfigureShared(requested);
        else if (lowMemory)
            try { WorkerPool.ConfigureShared(LowMemory.Threads); }
            catch (InvalidOperationException) { }
    }

    /// <summary>Under --low-memory: keeps the model's weights in their file layout, and tells the user when some could not stay
    /// memory-mapped; otherwise has the weights read ahead (a board with little memory reads them only as they are needed).</summary>
    public static void Apply(LoadedModel model, bool lowMemory, TextWriter error)
    {
        if (!lowMemory)
        {
            model.PrefetchWeights();
            return;
        }
        if (model.Decoder != null) LowMemory.KeepWeightsMapped(model.Decoder);
        if (model.CopiedWeightBytes is var copied and > 0)
            error.WriteLine($"note: --low-memory: {HumanUnits.Bytes(copied)} of {model.Path}'s weights are decoded copies, not memory-mapped " +
                            "(a Hugging Face GPT-2 folder's Conv1D weights are transposed at load, a gpt-oss folder's experts repacked); a GGUF of it keeps every weight mapped");
    }
}
