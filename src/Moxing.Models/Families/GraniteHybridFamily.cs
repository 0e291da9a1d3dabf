using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// IBM Granite 4.0 hybrid (HF granitemoehybrid, GGUF granitehybrid; granite-4.0-h-tiny/small/micro): Granite's multipliers over
/// Mamba2 layers (<see cref="MambaOptions"/>) and attention layers as layer_types says (GGUF: a layer's head_count_kv 0), the
/// attention without positions unless position_embedding_type is rope (llama.cpp: rope.scaling.finetuned), and a feed-forward
/// of Granite MoE's experts plus its ungated shared MLP, or the shared MLP alone when num_local_experts is 0.
/// </summary>
public sealed class GraniteHybridFamily : IDecoderFamily
{
    private const string Mamba = "model.layers.{i}.mamba.";

    // GraniteMoeHybridConfig's defaults for the Mamba2 keys.
    private const string Defaults = """
        {"mamba_n_heads": 128, "mamba_n_groups": 1, "mamba_d_state": 256, "mamba_d_head": "auto", "mamba_d_conv": 4, "mamba_expand": 2,
         "rms_norm_eps": 1e-6, "num_local_experts": 8, "shared_intermediate_size": 1024}
        """;

    private static readonly GraniteMoeFamily Moe = new();

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["granitemoehybrid"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["granitehybrid"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = MambaMixers.WithHfMixer(Moe.HfNames, Mamba) with
    {
        // A dense layer's feed-forward is the shared MLP, its fused gate and up split as the shared expert's are.
        Gate = Moe.HfNames.SharedGate,
        Up = Moe.HfNames.SharedUp,
        Down = Moe.HfNames.SharedDown!,
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = MambaMixers.WithGgufMixer(Moe.GgufNames);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = GraniteFamily.Multipliers(c, c.Common("granitemoehybrid"));
        var mamba = MambaLayers(c, o.LayerCount);
        var rope = c.GetString("position_embedding_type", "none") == "rope";
        var shared = c.GetInt("shared_intermediate_size");
        var experts = c.GetInt("num_local_experts") > 0 ? c.Experts("num_local_experts", "intermediate_size", normalizeTopK: true) : null;
        return o with
        {
            Rope = rope ? o.Rope : null,
            // Without experts the shared MLP is the feed-forward.
            IntermediateSize = experts == null ? shared : o.IntermediateSize,
            Moe = experts == null ? null : experts with { SharedFeedForward = shared },
            // transformers' Bamba-style gated norm spans the whole inner width.
            Mamba = MambaMixers.FromHf(c, c.GetInt("mamba_expand") * o.HiddenSize, mamba, normPerGroup: false),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = GraniteFamily.FromGguf(p, file, recurrentLayers: true);
        var mamba = p.LayersWithoutKv(o.LayerCount);
        if (mamba.All(m => m))
            throw new InvalidModelFileException(file.FilePath, "key 'granitehybrid.attention.head_count_kv' gives every layer 0 key/value heads; Moxing needs an attention layer");
        // llama.cpp rotates only when rope.scaling.finetuned says so (the converter writes false for hybrid Granite 4.0).
        var rope = file.Metadata.TryGetValue("granitehybrid.rope.scaling.finetuned", out var finetuned) ? finetuned is true : true;
        return o with
        {
            Rope = rope ? o.Rope : null,
            Moe = p.Experts(o.IntermediateSize, normalizeTopK: true, sharedExpert: p.Has("expert_shared_feed_forward_length")),
            Mamba = MambaMixers.FromGguf(p, file.FilePath, mamba),
        };
    }

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path)
    {
        if (options.Moe != null) return Moe.DerivedHfTensors(tensors, options, path);
        var find = new PrefixedTensors(tensors, "model.");
        return [.. Enumerable.Range(0, options.LayerCount).SelectMany(layer =>
            GraniteMoeFamily.Halves(find, path, HfNames.Gate!, HfNames.Up!, layer, [2L * options.IntermediateSize, options.HiddenSize]))];
    }

    // GraniteMoeHybridConfig.layers_block_type: layer_types ("mamba" or "attention"), every layer Mamba2 when absent.
    private static bool[] MambaLayers(HfConfig c, int layers)
    {
        var types = c.GetStringList("layer_types");
        if (types.Length == 0) throw c.Error("layer_types", "is missing: every layer would be Mamba2, and Moxing needs an attention layer");
        if (types.Length != layers) throw c.Error("layer_types", $"has {types.Length} entries for {layers} layers");
        var mamba = types.Select(t => t switch
        {
            "mamba" => true,
            "attention" => false,
            _ => throw c.Error("layer_types", $"has '{t}'; Granite 4.0 hybrid layers are 'mamba' or 'attention'"),
        }).ToArray();
        return mamba.All(m => m) ? throw c.Error("layer_types", "has no attention layer; Moxing needs one") : mamba;
    }
}
