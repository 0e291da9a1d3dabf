using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Nn.Modules;

namespace Moxing.Training.Quantization;

/// <summary>Stores a trained model's weights in a quantized type, as the engine stores an LLM's: what accuracy costs that type has.</summary>
public static class WeightStorage
{
    /// <summary>
    /// Round-trips every weight tensor (parameters of rank 2 and more: Linear, Conv2d, embeddings, attention projections) of
    /// <paramref name="model"/> through <paramref name="type"/> (each tensor's values in order, zero-padded to whole blocks); biases
    /// and norms stay float32, as in a GGUF. Returns the bytes of all parameters stored that way.
    /// </summary>
    public static long RoundTrip(Module model, DType type)
    {
        long bytes = 0;
        foreach (var (_, p) in model.NamedParameters())
            bytes += p.Rank >= 2 ? StorageRoundTrip.Apply(type, p.Data) : (long)p.Count * sizeof(float);
        return bytes;
    }
}
