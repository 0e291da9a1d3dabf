using System.Text.Json.Nodes;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// MPT (HF and GGUF `mpt`; mpt-7b, mpt-30b and their instruct/chat/storywriter tunes): ALiBi positions (attn_config's
/// alibi_bias_max, GGUF `attention.max_alibi_bias`), no biases anywhere (LayerNorms without one), one fused Wqkv already in
/// [q; k; v] order, optionally clamped (clip_qkv, GGUF `attention.clamp_kqv`), an ungated GELU MLP of 4 × d_model, and a head tied
/// to the embeddings. Variants transformers' MptModel would run differently from the config are refused by key.
/// </summary>
public sealed class MptFamily : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["mpt"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["mpt"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "transformer.",
        Embedding = "transformer.wte.weight",
        AttentionNorm = "transformer.blocks.{i}.norm_1.weight",
        Qkv = "transformer.blocks.{i}.attn.Wqkv.weight",
        O = "transformer.blocks.{i}.attn.out_proj.weight",
        MlpNorm = "transformer.blocks.{i}.norm_2.weight",
        Up = "transformer.blocks.{i}.ffn.up_proj.weight",
        Down = "transformer.blocks.{i}.ffn.down_proj.weight",
        FinalNorm = "transformer.norm_f.weight",
        Output = "lm_head.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with { Q = null, K = null, V = null, Gate = null };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(new JsonObject
        {
            ["hidden_size"] = config.GetInt("d_model"),
            ["num_attention_heads"] = config.GetInt("n_heads"),
            ["num_hidden_layers"] = config.GetInt("n_layers"),
            ["intermediate_size"] = 4 * config.GetInt("d_model"),
            ["max_position_embeddings"] = config.GetInt("max_seq_len", 2048),
        }.ToJsonString());
        // MptMLP is 4 × d_model and MptBlock has no biases whatever the config says; refuse a config that says otherwise.
        if (c.GetDouble("expansion_ratio", 4) != 4) throw c.Error("expansion_ratio", $"is {c.GetDouble("expansion_ratio")}; MPT's MLP is 4 × d_model in transformers and llama.cpp");
        if (!c.GetBool("no_bias", true)) throw c.Error("no_bias", "is false; MPT with biases is not supported (transformers' MptModel has none)");
        var attention = c.TryGetSection("attn_config", out var section) ? section : HfConfig.Parse("{}", c.FilePath);
        if (!attention.GetBool("alibi", true)) throw attention.Error("alibi", "is false; MPT with learned positions is not supported (transformers' MptModel always applies ALiBi)");
        if (attention.GetBool("qk_ln", false)) throw attention.Error("qk_ln", "is true; MPT's q/k LayerNorms are not supported");
        var o = c.Common("mpt", rope: false);
        if (attention.GetInt("kv_n_heads", o.HeadCount) != o.HeadCount)
            throw attention.Error("kv_n_heads", $"is {attention.GetInt("kv_n_heads")}; MPT with grouped key/value heads is not supported (transformers' MptAttention has {o.HeadCount})");
        return Mpt(o) with
        {
            NormEps = c.GetFloat("layer_norm_epsilon", 1e-5f),
            Activation = Activation.GeluErf,
            AlibiMaxBias = attention.GetFloat("alibi_bias_max", 8f),
            QkvClip = attention.GetFloat("clip_qkv", 0f),
            AttentionScale = attention.TryGetFloat("softmax_scale", out var scale) ? scale : null,
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        // llama.cpp's mpt applies ALiBi where max_alibi_bias is set (else learned positions, not supported here) and its tanh GELU.
        var p = new GgufHyperParameters(file);
        var alibi = p.Float("attention.max_alibi_bias", 0f);
        if (!(alibi > 0)) throw new Core.InvalidModelFileException(file.FilePath, "key 'mpt.attention.max_alibi_bias' is missing or not positive; MPT without ALiBi is not supported");
        return Mpt(p.Common(RopeStyle.Half)) with
        {
            Activation = Activation.GeluTanh,
            AlibiMaxBias = alibi,
            QkvClip = p.Float("attention.clamp_kqv", 0f),
        };
    }

    private static DecoderOptions Mpt(DecoderOptions o) => o with { Norm = NormKind.Layer, GatedMlp = false, Rope = null };
}
