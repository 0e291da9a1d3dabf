using Moxing.Core;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>The Mamba2 mixers' sizes as Granite 4.0 hybrid and Falcon-H1 configs name them, and as llama.cpp's ssm.* keys give them.</summary>
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
}
