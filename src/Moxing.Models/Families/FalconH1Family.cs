using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// TII Falcon-H1 (HF falcon_h1, GGUF falcon-h1; Falcon-H1-0.5B..34B): every layer runs a Mamba2 mixer (<see cref="MambaOptions"/>, the
/// gated norm per B/C group where mamba_rms_norm) beside RoPE attention on the same normed input and adds both, then a SwiGLU MLP.
/// Its muP multipliers apply as transformers applies them (embedding, lm_head, attention in/out and key, ssm in/out and the mup vector
/// over in_proj's z, x, B, C and dt, the MLP's gate and down); llama.cpp's converter folds them into the weights, so a GGUF has none.
/// </summary>
public sealed class FalconH1Family : IDecoderFamily
{
    private const string Mamba = "model.layers.{i}.mamba.";

    // FalconH1Config's defaults (the multipliers' absent values are 1).
    private const string Defaults = """
        {"rms_norm_eps": 1e-5, "rope_theta": 100000.0, "mamba_n_heads": 128, "mamba_d_head": "auto", "mamba_n_groups": 1, "mamba_d_state": 256,
         "mamba_d_conv": 4, "mamba_expand": 2, "mamba_rms_norm": false, "mamba_norm_before_gate": true, "embedding_multiplier": 1.0,
         "lm_head_multiplier": 1.0, "attention_in_multiplier": 1.0, "attention_out_multiplier": 1.0, "key_multiplier": 1.0,
         "ssm_in_multiplier": 1.0, "ssm_out_multiplier": 1.0}
        """;

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["falcon_h1"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["falcon-h1"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = MambaMixers.WithHfMixer(DecoderTensorNames.HuggingFace, Mamba) with
    {
        MlpNorm = "model.layers.{i}.pre_ff_layernorm.weight",
        Gate = "model.layers.{i}.feed_forward.gate_proj.weight",
        Up = "model.layers.{i}.feed_forward.up_proj.weight",
        Down = "model.layers.{i}.feed_forward.down_proj.weight",
        FinalNorm = "model.final_layernorm.weight",
    };

    // FalconH1Model's converter maps pre_ff_layernorm.weight whole to blk.{i}.ffn_norm (no .weight), as llama.cpp loads it.
    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = new GraniteHybridFamily().GgufNames with { MlpNorm = "blk.{i}.ffn_norm" };

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var o = c.Common("falcon_h1");
        if (c.GetString("hidden_act", "silu") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; Falcon-H1 runs silu");
        if (c.GetBool("attention_bias", false)) throw c.Error("attention_bias", "is true; Moxing scales Falcon-H1's attention input through its projections, which biases would not follow");
        if (c.GetBool("mamba_proj_bias", false)) throw c.Error("mamba_proj_bias", "is true; Moxing scales Falcon-H1's in_proj input through the projection, which a bias would not follow");
        var normed = c.GetBool("mamba_rms_norm");
        if (normed && c.GetBool("mamba_norm_before_gate"))
            throw c.Error("mamba_norm_before_gate", "is true; Moxing (as llama.cpp) gates y by SiLU(z) before the norm");
        float attentionIn = c.GetFloat("attention_in_multiplier"), ssmIn = c.GetFloat("ssm_in_multiplier");
        var mlp = Multipliers(c, "mlp_multipliers", 2);
        var mup = Multipliers(c, "ssm_multipliers", 5).Select(m => m * ssmIn).ToArray();
        return o with
        {
            NormEps = c.GetFloat("rms_norm_eps"),
            EmbeddingScale = c.GetFloat("embedding_multiplier"),
            LogitDivisor = 1f / c.GetFloat("lm_head_multiplier"),
            // The attention reads x · attention_in: q·k grows by its square (and keys by key_multiplier), the values by it once.
            AttentionScale = attentionIn * attentionIn * c.GetFloat("key_multiplier") / MathF.Sqrt(o.HeadDim),
            AttentionOutputScale = attentionIn * c.GetFloat("attention_out_multiplier"),
            MlpGateScale = mlp[0],
            MlpOutputScale = mlp[1],
            // FalconH1RMSNormGated normalises per B/C group.
            Mamba = MambaMixers.FromHf(c, c.GetInt("mamba_d_ssm", c.GetInt("mamba_expand") * o.HiddenSize), [.. Enumerable.Repeat(true, o.LayerCount)], normPerGroup: true) with
            {
                Normed = normed,
                BesideAttention = true,
                InProjScales = mup.All(m => m == 1f) ? [] : mup,
                OutputScale = c.GetFloat("ssm_out_multiplier"),
            },
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = p.Common(RopeStyle.Half);
        return o with
        {
            Mamba = MambaMixers.FromGguf(p, file.FilePath, [.. Enumerable.Repeat(true, o.LayerCount)]) with
            {
                // llama.cpp norms where the file has the weights (mamba_rms_norm).
                Normed = file.Find("blk.0.ssm_norm.weight") != null,
                BesideAttention = true,
            },
        };
    }

    /// <summary>
    /// FalconH1Model.modify_tensors' folding of the muP multipliers, per HF tensor name its rows' factors: embeddings × embedding,
    /// lm_head × lm_head, q and v × attention_in, k × attention_in × key, o × attention_out, in_proj × ssm_in × the ssm_multipliers of its
    /// z, x, B, C and dt rows, out_proj × ssm_out, gate × mlp_multipliers[0], down × mlp_multipliers[1].
    /// </summary>
    internal static Dictionary<string, float[]> FoldedMultipliers(HfConfig config, DecoderOptions o)
    {
        var c = config.WithDefaults(Defaults);
        var m = o.Mamba!;
        float attentionIn = c.GetFloat("attention_in_multiplier"), ssmIn = c.GetFloat("ssm_in_multiplier");
        var mlp = Multipliers(c, "mlp_multipliers", 2);
        var mup = Multipliers(c, "ssm_multipliers", 5);
        int h = o.HiddenSize, q = o.HeadCount * o.HeadDim, kv = o.KvHeadCount * o.HeadDim, groupStates = m.Groups * m.StateSize;
        int[] parts = [m.Inner, m.Inner, groupStates, groupStates, m.Heads];
        float[] Rows(int rows, float scale) => [.. Enumerable.Repeat(scale, rows)];
        var folded = new Dictionary<string, float[]>(StringComparer.Ordinal)
        {
            ["model.embed_tokens.weight"] = Rows(o.VocabSize, c.GetFloat("embedding_multiplier")),
            ["lm_head.weight"] = Rows(o.VocabSize, c.GetFloat("lm_head_multiplier")),
        };
        for (var i = 0; i < o.LayerCount; i++)
        {
            var p = $"model.layers.{i}.";
            folded[p + "self_attn.q_proj.weight"] = Rows(q, attentionIn);
            folded[p + "self_attn.k_proj.weight"] = Rows(kv, attentionIn * c.GetFloat("key_multiplier"));
            folded[p + "self_attn.v_proj.weight"] = Rows(kv, attentionIn);
            folded[p + "self_attn.o_proj.weight"] = Rows(h, c.GetFloat("attention_out_multiplier"));
            folded[p + "mamba.in_proj.weight"] = [.. parts.SelectMany((rows, part) => Rows(rows, ssmIn * mup[part]))];
            folded[p + "mamba.out_proj.weight"] = Rows(h, c.GetFloat("ssm_out_multiplier"));
            folded[p + "feed_forward.gate_proj.weight"] = Rows(o.IntermediateSize, mlp[0]);
            folded[p + "feed_forward.down_proj.weight"] = Rows(h, mlp[1]);
        }
        return folded;
    }

    // A list of `count` multipliers (all 1 when absent).
    private static float[] Multipliers(HfConfig c, string key, int count)
    {
        if (!c.Has(key)) return [.. Enumerable.Repeat(1f, count)];
        if (!c.TryGetFloatList(key, out var values) || values.Length != count) throw c.Error(key, $"must be a list of {count} numbers");
        return values;
    }
}
