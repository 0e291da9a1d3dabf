using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// The Mamba2 mixers' sizes as Granite 4.0 hybrid and Falcon-H1 configs name them, Mamba 1's as MambaConfig and JambaConfig do, and
/// both as llama.cpp's ssm.* keys give them; their tensor names.
/// </summary>
internal static class MambaMixers
{
    /// <summary><paramref name="names"/> with the Mamba2 mixers' HF tensors under <paramref name="prefix"/> (in_proj, conv1d, dt_bias, A_log, D, norm, out_proj).</summary>
    public static DecoderTensorNames WithHfMixer(DecoderTensorNames names, string prefix) => names with
    {
        SsmIn = prefix + "in_proj.weight",
        SsmConv = prefix + "conv1d.weight",
        SsmDtBias = prefix + "dt_bias",
        SsmALog = prefix + "A_log",
        SsmD = prefix + "D",
        SsmNorm = prefix + "norm.weight",
        SsmOut = prefix + "out_proj.weight",
    };

    /// <summary>
    /// mamba_n_heads heads over <paramref name="inner"/> channels (mamba_d_head, "auto": inner / heads), mamba_n_groups B/C groups,
    /// mamba_d_state, mamba_d_conv taps, on <paramref name="layers"/>; the gated norm over the whole width (Bamba's) or per group.
    /// </summary>
    public static MambaOptions FromHf(HfConfig c, int inner, bool[] layers, bool normPerGroup)
    {
        var heads = c.GetInt("mamba_n_heads");
        if (heads < 1 || inner % heads != 0) throw c.Error("mamba_n_heads", $"is {heads}; it must divide the inner width ({inner})");
        var headDim = c.IsString("mamba_d_head") ? inner / heads : c.GetInt("mamba_d_head");
        if (headDim * heads != inner) throw c.Error("mamba_d_head", $"is {headDim}; × mamba_n_heads ({heads}) it must be the inner width ({inner})");
        var groups = c.GetInt("mamba_n_groups");
        if (groups < 1 || heads % groups != 0) throw c.Error("mamba_n_groups", $"is {groups}; it must divide mamba_n_heads ({heads})");
        return new MambaOptions
        {
            Heads = heads,
            HeadDim = headDim,
            StateSize = c.GetInt("mamba_d_state"),
            Groups = groups,
            ConvKernel = Lfm2Family.Taps(c.GetInt("mamba_d_conv"), () => c.Error("mamba_d_conv", "must be at least 2")),
            NormGroups = normPerGroup ? groups : 1,
            Layers = layers,
        };
    }

    /// <summary>
    /// llama.cpp's ssm.* keys: time_step_rank heads over inner_size channels, group_count B/C groups (1 when absent), state_size,
    /// conv_kernel taps, on <paramref name="layers"/>, the gated norm per group as llama.cpp computes it.
    /// </summary>
    public static MambaOptions FromGguf(GgufHyperParameters p, string path, bool[] layers)
    {
        int heads = p.Int("ssm.time_step_rank"), inner = p.Int("ssm.inner_size"), groups = p.Int("ssm.group_count", 1);
        if (heads < 1 || inner % heads != 0) throw new InvalidModelFileException(path, $"key '{p.Architecture}.ssm.time_step_rank' is {heads}; it must divide ssm.inner_size ({inner})");
        if (groups < 1 || heads % groups != 0) throw new InvalidModelFileException(path, $"key '{p.Architecture}.ssm.group_count' is {groups}; it must divide the {heads} heads");
        return new MambaOptions
        {
            Heads = heads,
            HeadDim = inner / heads,
            StateSize = p.Int("ssm.state_size"),
            Groups = groups,
            ConvKernel = Lfm2Family.Taps(p.Int("ssm.conv_kernel"), () => new InvalidModelFileException(path, $"key '{p.Architecture}.ssm.conv_kernel' must be at least 2")),
            NormGroups = groups,
            Layers = layers,
        };
    }

    /// <summary><paramref name="names"/> with Mamba 1's HF tensors under <paramref name="prefix"/> (Mamba2's but for x_proj and dt_proj in place of dt_bias and the norm; Jamba's dt/b/c_layernorm).</summary>
    public static DecoderTensorNames WithHfSelectiveMixer(DecoderTensorNames names, string prefix) => WithHfMixer(names, prefix) with
    {
        SsmX = prefix + "x_proj.weight",
        SsmDt = prefix + "dt_proj.weight",
        SsmDtBias = null,
        SsmNorm = null,
        SsmDtNorm = prefix + "dt_layernorm.weight",
        SsmBNorm = prefix + "b_layernorm.weight",
        SsmCNorm = prefix + "c_layernorm.weight",
    };

    /// <summary><paramref name="names"/> with the Mamba2 mixers' GGUF tensors (ssm_in, ssm_conv1d, ssm_dt.bias, ssm_a, ssm_d, ssm_norm, ssm_out).</summary>
    public static DecoderTensorNames WithGgufMixer(DecoderTensorNames names) => names with
    {
        SsmIn = "blk.{i}.ssm_in.weight",
        SsmConv = "blk.{i}.ssm_conv1d.weight",
        SsmDtBias = "blk.{i}.ssm_dt.bias",
        SsmA = "blk.{i}.ssm_a",
        SsmD = "blk.{i}.ssm_d",
        SsmNorm = "blk.{i}.ssm_norm.weight",
        SsmOut = "blk.{i}.ssm_out.weight",
    };

    /// <summary><paramref name="names"/> with Mamba 1's GGUF tensors (Mamba2's but for ssm_x and ssm_dt in place of the bias alone and the norm; Jamba's ssm_dt/b/c_norm).</summary>
    public static DecoderTensorNames WithGgufSelectiveMixer(DecoderTensorNames names) => WithGgufMixer(names) with
    {
        SsmX = "blk.{i}.ssm_x.weight",
        SsmDt = "blk.{i}.ssm_dt.weight",
        SsmDtBias = null,
        SsmNorm = null,
        SsmDtNorm = "blk.{i}.ssm_dt_norm.weight",
        SsmBNorm = "blk.{i}.ssm_b_norm.weight",
        SsmCNorm = "blk.{i}.ssm_c_norm.weight",
    };

    /// <summary>
    /// Mamba 1's mixers on <paramref name="layers"/> from an HF config whose keys <paramref name="keys"/> names (MambaConfig's state_size,
    /// conv_kernel, expand, time_step_rank; JambaConfig's mamba_*): expand × <paramref name="hidden"/> channels, a time-step rank of
    /// ceil(hidden / 16) where "auto", <paramref name="norms"/> of epsilon <paramref name="eps"/>.
    /// </summary>
    public static MambaOptions SelectiveFromHf(HfConfig c, int hidden, bool[] layers, (string State, string Taps, string Expand, string Rank) keys,
        MambaSelectionNorms norms, float eps)
    {
        var expand = c.GetInt(keys.Expand);
        if (expand < 1) throw c.Error(keys.Expand, $"is {expand}; it must be positive");
        if (c.IsString(keys.Rank) && c.GetString(keys.Rank) != "auto") throw c.Error(keys.Rank, $"is '{c.GetString(keys.Rank)}'; expected a number or \"auto\"");
        var rank = c.IsString(keys.Rank) ? (hidden + 15) / 16 : c.GetInt(keys.Rank);
        if (rank < 1) throw c.Error(keys.Rank, $"is {rank}; it must be positive");
        var state = c.GetInt(keys.State);
        if (state < 1) throw c.Error(keys.State, $"is {state}; it must be positive");
        var taps = Lfm2Family.Taps(c.GetInt(keys.Taps), () => c.Error(keys.Taps, "must be at least 2"));
        return MambaOptions.SelectiveScan(expand * hidden, state, taps, rank, layers, norms, eps);
    }

    /// <summary>Mamba 1's mixers on <paramref name="layers"/> from llama.cpp's ssm.* keys (time_step_rank the time steps' rank), <paramref name="norms"/> of the model's norm epsilon.</summary>
    public static MambaOptions SelectiveFromGguf(GgufHyperParameters p, string path, bool[] layers, MambaSelectionNorms norms, float eps)
    {
        int Positive(string key) => p.Int(key) is var v && v >= 1 ? v : throw new InvalidModelFileException(path, $"key '{p.Architecture}.{key}' is {v}; it must be positive");
        var taps = Lfm2Family.Taps(p.Int("ssm.conv_kernel"), () => new InvalidModelFileException(path, $"key '{p.Architecture}.ssm.conv_kernel' must be at least 2"));
        return MambaOptions.SelectiveScan(Positive("ssm.inner_size"), Positive("ssm.state_size"), taps, Positive("ssm.time_step_rank"), layers, norms, eps);
    }

    /// <summary>
    /// The options of a GGUF whose blocks are an RMSNorm and a Mamba mixer alone (mamba, mamba2): feed_forward_length and head_count
    /// 0 as llama.cpp's converters write them, no positions; the caller adds the mixers.
    /// </summary>
    public static DecoderOptions RecurrentOnly(GgufHyperParameters p, GgufFile file)
    {
        var o = p.Common(RopeStyle.Half);
        if (o.IntermediateSize != 0 || o.HeadCount != 0)
            throw new InvalidModelFileException(file.FilePath, $"keys '{p.Architecture}.feed_forward_length' and '{p.Architecture}.attention.head_count' must be 0: a {p.Architecture} block has neither");
        return o with { Rope = null };
    }
}
