using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Hunyuan MoE (HF `hunyuan_v1_moe`, GGUF `hunyuan-moe`; Hunyuan-A13B): Hunyuan dense's attention (q/k RMSNorms after RoPE,
/// NTK-alpha RoPE) with experts in every layer: a softmax over num_experts, the moe_topk most probable renormalised, each expert a
/// gated MLP, plus one ungated shared_mlp. As transformers' HunYuanMoEV1MLP, experts and the shared MLP are intermediate_size wide
/// (moe_intermediate_size and num_shared_expert, equal to it and 1 in the published model, are not read); num_experts and moe_topk
/// may be per-layer lists, which must hold one value.
/// </summary>
public sealed class HunyuanMoeFamily : IDecoderFamily
{
    // HunYuanMoEV1Config's defaults where the shared readers' differ.
    private const string Defaults = """{"rms_norm_eps": 1e-5, "num_experts": 1, "moe_topk": 1}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["hunyuan_v1_moe"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["hunyuan-moe"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = HunyuanDenseFamily.QkNormHfNames with
    {
        Router = "model.layers.{i}.mlp.gate.wg.weight",
        SharedGate = "model.layers.{i}.mlp.shared_mlp.gate_proj.weight",
        SharedUp = "model.layers.{i}.mlp.shared_mlp.up_proj.weight",
        SharedDown = "model.layers.{i}.mlp.shared_mlp.down_proj.weight",
        SharedExpertGate = null,
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { SharedExpertGate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        // Tencent's remote code leaves the shared MLP out without use_mixed_mlp_moe; transformers and llama.cpp always run it.
        if (!c.GetBool("use_mixed_mlp_moe", true)) throw c.Error("use_mixed_mlp_moe", "is false; Hunyuan MoE without its shared MLP is not supported (transformers and llama.cpp always run it)");
        var o = HunyuanDenseFamily.Hunyuan(c, "hunyuan_v1_moe");
        return o with
        {
            Moe = new MoeOptions
            {
                ExpertCount = PerLayer(c, "num_experts", o.LayerCount),
                ExpertsUsed = PerLayer(c, "moe_topk", o.LayerCount),
                ExpertFeedForward = o.IntermediateSize,
                NormalizeTopK = true,
                SharedFeedForward = o.IntermediateSize,
            },
        };
    }

    // HunYuanMoEV1Moe reads `key` as one count or one per layer; the engine runs one in every layer.
    private static int PerLayer(HfConfig c, string key, int layers)
    {
        var values = c.GetIntList(key);
        if (values.Length > 1 && values.Length < layers) throw c.Error(key, $"has {values.Length} entries for {layers} layers");
        var distinct = values.Take(layers).Distinct().ToArray();
        if (distinct.Length != 1) throw c.Error(key, $"differs by layer ({string.Join(", ", distinct)}); the engine runs one count in every layer");
        if (distinct[0] < 1) throw c.Error(key, $"is {distinct[0]}; it must be positive");
        return distinct[0];
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = HunyuanDenseFamily.Hunyuan(p);
        // llama.cpp's hunyuan-moe: softmax routing renormalised; the shared MLP expert_shared_feed_forward_length (else feed_forward_length) wide.
        return o with { Moe = p.Experts(o.IntermediateSize, normalizeTopK: true, sharedExpert: true) };
    }
}
