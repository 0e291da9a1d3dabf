using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Apertus (HF and GGUF `apertus`; Apertus-8B/70B): Llama with norms named attention_layernorm / feedforward_layernorm, a per-head
/// RMSNorm of queries and keys before RoPE, llama3 RoPE (base 12e6 by default), and an ungated MLP whose activation is xIELU with
/// four learned scalars per layer (mlp.act_fn.alpha_p/alpha_n/beta/eps in the checkpoint, `xielu.*` arrays in GGUFs).
/// llama.cpp's converter leaves Q/K unpermuted (NEOX rotation).
/// </summary>
public sealed class ApertusFamily : IDecoderFamily
{
    // ApertusConfig's defaults: llama3 RoPE of base 12e6 when the config gives no RoPE settings.
    private const string Defaults = """
        {"rms_norm_eps": 1e-5, "rope_theta": 12000000.0, "hidden_act": "xielu",
         "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "original_max_position_embeddings": 8192, "low_freq_factor": 1.0, "high_freq_factor": 4.0}}
        """;

    /// <summary>The checkpoint names of a layer's xIELU scalars, in <see cref="XieluParameters"/>'s order.</summary>
    internal static readonly string[] XieluTensors = ["mlp.act_fn.alpha_p", "mlp.act_fn.alpha_n", "mlp.act_fn.beta", "mlp.act_fn.eps"];

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["apertus"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["apertus"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        AttentionNorm = "model.layers.{i}.attention_layernorm.weight",
        MlpNorm = "model.layers.{i}.feedforward_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <summary>
    /// Options from config.json. xIELU's scalars are checkpoint tensors, while llama.cpp keeps them as hyper-parameters: they are
    /// read here from the safetensors beside the config.
    /// </summary>
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = c.Common("apertus") with { GatedMlp = false, QkNorm = true };
        if (c.GetString("hidden_act") != "xielu") return o with { Activation = HfActivation.Read(c, "hidden_act", "xielu") };
        var folder = Path.GetDirectoryName(Path.GetFullPath(c.FilePath))!;
        using var source = ModelTensors.OpenFolder(folder);
        var tensors = new PrefixedTensors(source, HfNames.BasePrefix);
        float Scalar(int layer, string name)
        {
            var full = $"model.layers.{layer}.{name}";
            var t = tensors.Find(full) ?? throw new InvalidModelFileException(folder, $"tensor '{full}' is missing (hidden_act is xielu)");
            return t.ToFloats(1, folder)[0];
        }
        var layers = Enumerable.Range(0, o.LayerCount)
            .Select(i => new XieluParameters(Scalar(i, XieluTensors[0]), Scalar(i, XieluTensors[1]), Scalar(i, XieluTensors[2]), Scalar(i, XieluTensors[3])))
            .ToArray();
        return o with { XieluLayers = layers };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var o = new GgufHyperParameters(file).Common(RopeStyle.Half) with { GatedMlp = false, QkNorm = true };
        float[] PerLayer(string name)
        {
            var key = $"xielu.{name}";
            if (!file.Metadata.TryGetValue(key, out var value)) throw new InvalidModelFileException(file.FilePath, $"key '{key}' is missing");
            // llama.cpp's get_key_or_arr: one value for every layer, or one per layer.
            var values = value is Array ? file.Metadata.GetArray<float>(key) : Enumerable.Repeat(file.Metadata.GetSingle(key), o.LayerCount).ToArray();
            if (values.Length != o.LayerCount) throw new InvalidModelFileException(file.FilePath, $"key '{key}' has {values.Length} entries for {o.LayerCount} layers");
            return values;
        }
        float[] p = PerLayer("alpha_p"), n = PerLayer("alpha_n"), beta = PerLayer("beta"), eps = PerLayer("eps");
        return o with { XieluLayers = Enumerable.Range(0, o.LayerCount).Select(i => new XieluParameters(p[i], n[i], beta[i], eps[i])).ToArray() };
    }
}
