using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Liquid LFM2 (HF and GGUF lfm2; LFM2-350M/700M/1.2B/2.6B): RMSNorm blocks whose mixer is a gated short convolution
/// (<see cref="ShortConvOptions"/>) or GQA attention with per-head q/k RMSNorms and NEOX RoPE, as layer_types (or full_attn_idxs;
/// GGUF: a layer's head_count_kv 0) says; a SwiGLU MLP whose width block_auto_adjust_ff_dim shrinks as transformers' Lfm2MLP does;
/// tied embeddings; the norm HF calls embedding_norm is the final one (llama.cpp's token_embd_norm).
/// </summary>
public sealed class Lfm2Family : IDecoderFamily
{
    // Lfm2Config's defaults.
    private const string Defaults = """
        {"vocab_size": 65536, "hidden_size": 2560, "intermediate_size": 12288, "num_hidden_layers": 32, "num_attention_heads": 32,
         "num_key_value_heads": 8, "max_position_embeddings": 128000, "norm_eps": 1e-5, "rope_theta": 1000000.0, "conv_L_cache": 3,
         "block_multiple_of": 256, "block_ffn_dim_multiplier": 1.0, "block_auto_adjust_ff_dim": true}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["lfm2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["lfm2"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        AttentionNorm = "model.layers.{i}.operator_norm.weight",
        O = "model.layers.{i}.self_attn.out_proj.weight",
        QNorm = "model.layers.{i}.self_attn.q_layernorm.weight",
        KNorm = "model.layers.{i}.self_attn.k_layernorm.weight",
        ConvInProj = "model.layers.{i}.conv.in_proj.weight",
        ConvKernel = "model.layers.{i}.conv.conv.weight",
        ConvOutProj = "model.layers.{i}.conv.out_proj.weight",
        MlpNorm = "model.layers.{i}.ffn_norm.weight",
        Gate = "model.layers.{i}.feed_forward.w1.weight",
        Up = "model.layers.{i}.feed_forward.w3.weight",
        Down = "model.layers.{i}.feed_forward.w2.weight",
        FinalNorm = "model.embedding_norm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = DecoderTensorNames.Gguf with
    {
        ConvInProj = "blk.{i}.shortconv.in_proj.weight",
        ConvKernel = "blk.{i}.shortconv.conv.weight",
        ConvOutProj = "blk.{i}.shortconv.out_proj.weight",
        FinalNorm = "token_embd_norm.weight",
    };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        return Hybrid(c, "lfm2") with { IntermediateSize = FeedForward(c) };
    }

    /// <summary>What LFM2 and LFM2-MoE configs share: the common keys, norm_eps, q/k norms, and the convolution layers and taps.</summary>
    internal static DecoderOptions Hybrid(HfConfig c, string architecture)
    {
        var o = c.Common(architecture);
        return o with
        {
            NormEps = c.GetFloat("norm_eps"),
            QkNorm = true,
            ShortConv = new ShortConvOptions { Kernel = Taps(c.GetInt("conv_L_cache"), () => c.Error("conv_L_cache", "must be at least 2")), Layers = ConvLayers(c, o.LayerCount) },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half, recurrentLayers: true);
        var conv = p.LayersWithoutKv(o.LayerCount);
        if (conv.All(c => c))
            throw new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.attention.head_count_kv' gives every layer 0 key/value heads; LFM2 needs attention layers");
        var window = p.Int("attention.sliding_window", 0);
        return o with
        {
            QkNorm = true,
            // llama.cpp: a window applies to every attention layer.
            SlidingWindows = conv.Select(isConv => isConv ? 0 : window).ToArray(),
            ShortConv = new ShortConvOptions
            {
                Kernel = Taps(p.Int("shortconv.l_cache"), () => new InvalidModelFileException(file.FilePath, $"key '{p.Architecture}.shortconv.l_cache' must be at least 2")),
                Layers = conv,
            },
        };
    }

    /// <summary>The MLP width of transformers' Lfm2MLP: block_ff_dim (else intermediate_size), with block_auto_adjust_ff_dim 2/3 of it, times block_ffn_dim_multiplier, rounded up to block_multiple_of.</summary>
    public static int FeedForward(HfConfig c)
    {
        var ff = c.GetInt("block_ff_dim", c.GetInt("intermediate_size"));
        if (!c.GetBool("block_auto_adjust_ff_dim")) return ff;
        ff = 2 * ff / 3;
        if (c.Has("block_ffn_dim_multiplier")) ff = (int)(c.GetDouble("block_ffn_dim_multiplier") * ff);
        var multiple = c.GetInt("block_multiple_of");
        if (multiple < 1) throw c.Error("block_multiple_of", $"is {multiple}; it must be at least 1");
        return multiple * ((ff + multiple - 1) / multiple);
    }

    // Lfm2Config: layer_types, else attention on full_attn_idxs (every layer when neither is given).
    private static bool[] ConvLayers(HfConfig c, int layers)
    {
        var types = c.GetStringList("layer_types");
        if (types.Length > 0)
        {
            if (types.Length != layers) throw c.Error("layer_types", $"has {types.Length} entries for {layers} layers");
            return types.Select(t => t switch
            {
                "conv" => true,
                "full_attention" => false,
                _ => throw c.Error("layer_types", $"has '{t}'; LFM2 layers are 'conv' or 'full_attention'"),
            }).ToArray();
        }
        if (!c.Has("full_attn_idxs")) return new bool[layers];
        var attention = c.GetIntList("full_attn_idxs");
        if (attention.Any(i => i < 0 || i >= layers)) throw c.Error("full_attn_idxs", $"names a layer outside 0..{layers - 1}");
        return Enumerable.Range(0, layers).Select(i => !attention.Contains(i)).ToArray();
    }

    /// <summary>A convolution's taps (LFM2's conv_L_cache, Mamba2's d_conv): at least 2, else <paramref name="error"/>.</summary>
    internal static int Taps(int taps, Func<Exception> error) => taps >= 2 ? taps : throw error();
}
