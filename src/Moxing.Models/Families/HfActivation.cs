using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;

namespace Moxing.Models.Families;

/// <summary>transformers' ACT2FN names (hidden_act, activation_function) as Moxing activations.</summary>
internal static class HfActivation
{
    /// <summary>The activation config key <paramref name="key"/> names, <paramref name="fallback"/> when absent.</summary>
    public static Activation Read(HfConfig config, string key, string fallback)
    {
        var name = config.GetString(key, fallback);
        return name switch
        {
            "gelu" => Activation.GeluErf,
            "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => Activation.GeluTanh,
            "silu" or "swish" => Activation.Silu,
            "relu" => Activation.Relu,
            "quick_gelu" => Activation.GeluQuick,
            "relu2" => Activation.ReluSquared,
            _ => throw config.Error(key, $"names activation '{name}' (supported: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, silu, relu, quick_gelu, relu2)"),
        };
    }
}
