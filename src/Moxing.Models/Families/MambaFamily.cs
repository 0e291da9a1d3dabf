using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Mamba 1 (HF mamba: state-spaces/mamba-130m-hf … 2.8b-hf; falcon_mamba: tiiuae/falcon-mamba-7b; GGUF mamba as llama.cpp's
/// MambaModel converts both): every block an RMSNorm and Mamba 1's selective scan (<see cref="MambaOptions.Selective"/>), no
/// attention and no feed-forward. Falcon-Mamba RMS-norms the time-step inputs, B and C without weights (mixer_rms_eps; llama.cpp's
/// ssm.dt_b_c_rms, with the model's norm epsilon).
/// </summary>
public sealed class MambaFamily : IDecoderFamily
{
    // MambaConfig's and FalconMambaConfig's defaults.
    private const string Defaults = """
        {"state_size": 16, "conv_kernel": 4, "expand": 2, "time_step_rank": "auto", "layer_norm_epsilon": 1e-5, "hidden_act": "silu",
         "mixer_rms_eps": 1e-6}
        """;

    private static readonly (string, string, string, string) Keys = ("state_size", "conv_kernel", "expand", "time_step_rank");

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["mamba", "falcon_mamba"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["mamba"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = MambaMixers.WithHfSelectiveMixer(DecoderTensorNames.HuggingFace, "backbone.layers.{i}.mixer.") with
    {
        BasePrefix = "backbone.",
        Embedding = "backbone.embeddings.weight",
        AttentionNorm = "backbone.layers.{i}.norm.weight",
        FinalNorm = "backbone.norm_f.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames { get; } = MambaMixers.WithGgufSelectiveMixer(DecoderTensorNames.Gguf);

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config)
    {
        var c = config.WithDefaults(Defaults);
        var type = c.GetString("model_type");
        if (c.GetString("hidden_act") is var act && act != "silu") throw c.Error("hidden_act", $"is '{act}'; Mamba's convolution and gate run silu");
        var hidden = c.GetInt("hidden_size");
        var layers = c.GetInt("num_hidden_layers");
        var norms = type == "falcon_mamba" ? MambaSelectionNorms.Unweighted : MambaSelectionNorms.None;
        return new DecoderOptions
        {
            Architecture = type,
            VocabSize = c.GetInt("vocab_size"),
            HiddenSize = hidden,
            LayerCount = layers,
            HeadCount = 0,
            KvHeadCount = 0,
            HeadDim = 0,
            IntermediateSize = 0,
            // No positions: the converter writes 2^20 as the context.
            MaxContext = 1 << 20,
            NormEps = c.GetFloat("layer_norm_epsilon"),
            Mamba = MambaMixers.SelectiveFromHf(c, hidden, [.. Enumerable.Repeat(true, layers)], Keys, norms, c.GetFloat("mixer_rms_eps")),
        };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file)
    {
        var p = new GgufHyperParameters(file);
        var o = MambaMixers.RecurrentOnly(p, file);
        var norms = file.Metadata.TryGetBool("mamba.ssm.dt_b_c_rms", out var rms) && rms ? MambaSelectionNorms.Unweighted : MambaSelectionNorms.None;
        return o with { Mamba = MambaMixers.SelectiveFromGguf(p, file.FilePath, [.. Enumerable.Repeat(true, o.LayerCount)], norms, o.NormEps) };
    }
}
