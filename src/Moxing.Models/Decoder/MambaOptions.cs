namespace Moxing.Models.Decoder;

/// <summary>
/// Mamba2 mixers on the layers <see cref="Layers"/> marks (Granite 4.0 hybrid): in_proj gives the gate z, x·B·C and a time step
/// per head; x·B·C runs through a depthwise causal convolution of <see cref="ConvKernel"/> taps and SiLU; each head's
/// [head dim × state] state decays by exp(dt·A) and takes dt·x·Bᵀ; y = state·C + D·x, gated by SiLU(z), RMS-normed in
/// <see cref="NormGroups"/> groups, then out_proj. The other layers attend. With a <see cref="TimeStepRank"/> they are Mamba 1's
/// selective scans instead (<see cref="Selective"/>).
/// </summary>
public sealed record MambaOptions
{
    /// <summary>Heads of the state space (mamba_n_heads, llama.cpp's ssm.time_step_rank).</summary>
    public required int Heads { get; init; }
    /// <summary>Channels per head (mamba_d_head).</summary>
    public required int HeadDim { get; init; }
    /// <summary>State size per channel (mamba_d_state).</summary>
    public required int StateSize { get; init; }
    /// <summary>Groups sharing B and C (mamba_n_groups).</summary>
    public required int Groups { get; init; }
    /// <summary>Taps of the convolution (mamba_d_conv).</summary>
    public required int ConvKernel { get; init; }
    /// <summary>Groups of the gated RMSNorm: llama.cpp normalises per B/C group, transformers' Bamba-style norm the whole width (1). A mixer without norm weights (Falcon-H1's mamba_rms_norm false) is gated only.</summary>
    public required int NormGroups { get; init; }
    /// <summary>Per layer, true where it is a Mamba2 mixer rather than attention.</summary>
    public required bool[] Layers { get; init; }

    /// <summary>Whether y·SiLU(z) goes through the gated RMSNorm (false: Falcon-H1's mamba_rms_norm false, or its GGUF without ssm_norm).</summary>
    public bool Normed { get; init; } = true;

    /// <summary>Each Mamba2 mixer runs beside the layer's attention on the same normed input, their outputs added (Falcon-H1).</summary>
    public bool BesideAttention { get; init; }

    /// <summary>
    /// Multipliers of in_proj's five parts (z, x, B, C, dt: Falcon-H1's ssm_in_multiplier times its ssm_multipliers, the mup vector);
    /// empty: none (llama.cpp's converter folds them into ssm_in).
    /// </summary>
    public float[] InProjScales { get; init; } = [];

    /// <summary>Multiplier of the mixer's output (Falcon-H1's ssm_out_multiplier), 1 for none.</summary>
    public float OutputScale { get; init; } = 1f;

    /// <summary>
    /// Mamba 1's selective scan when positive (MambaForCausalLM, Falcon-Mamba, Jamba): the rank of its time step (time_step_rank,
    /// mamba_dt_rank). in_proj then gives x and the gate z; only x runs through the convolution, whose output x_proj turns into
    /// this many time-step inputs, B and C; dt_proj (with its bias) gives every inner channel its own time step; A is per channel
    /// and state. Every inner channel is a head of one dimension (llama.cpp's view), one group, no gated norm. 0: Mamba2.
    /// </summary>
    public int TimeStepRank { get; init; }

    /// <summary>Mamba 1's RMS norms of the time-step inputs, B and C before dt_proj and the scan (Falcon-Mamba's without weights, Jamba's with).</summary>
    public MambaSelectionNorms SelectionNorms { get; init; }

    /// <summary>Epsilon of <see cref="SelectionNorms"/> (Falcon-Mamba's mixer_rms_eps, Jamba's rms_norm_eps; llama.cpp's the model's norm epsilon).</summary>
    public float SelectionNormEps { get; init; } = 1e-6f;

    /// <summary>Whether the mixers are Mamba 1's selective scans rather than Mamba2's.</summary>
    public bool Selective => TimeStepRank > 0;

    /// <summary>Outputs of Mamba 1's x_proj per token: the time-step inputs, B and C.</summary>
    public int SelectionWidth => TimeStepRank + 2 * StateSize;

    /// <summary>
    /// Mamba 1's mixers over <paramref name="inner"/> channels on <paramref name="layers"/>: a state of <paramref name="state"/> per
    /// channel, <paramref name="taps"/> taps, time steps of rank <paramref name="rank"/>, <paramref name="norms"/> of epsilon <paramref name="eps"/>.
    /// </summary>
    public static MambaOptions SelectiveScan(int inner, int state, int taps, int rank, bool[] layers, MambaSelectionNorms norms, float eps) => new()
    {
        Heads = inner,
        HeadDim = 1,
        StateSize = state,
        Groups = 1,
        ConvKernel = taps,
        NormGroups = 1,
        Normed = false,
        Layers = layers,
        TimeStepRank = rank,
        SelectionNorms = norms,
        SelectionNormEps = eps,
    };

    /// <summary>Whether layer <paramref name="layer"/> is a Mamba2 mixer.</summary>
    public bool IsMamba(int layer) => layer < Layers.Length && Layers[layer];

    /// <summary>Channels of the mixer's inner width (heads × head dim).</summary>
    public int Inner => Heads * HeadDim;

    /// <summary>Channels the convolution runs over: x, B and C (Mamba 1: x alone).</summary>
    public int ConvChannels => Selective ? Inner : Inner + 2 * Groups * StateSize;

    /// <summary>Where the convolution's channels start in in_proj's output: after z (Mamba2), first (Mamba 1's x, then z).</summary>
    public int ConvOffset => Selective ? 0 : Inner;

    /// <summary>Outputs of in_proj per token: z, x·B·C and one time step per head (Mamba 1: x and z).</summary>
    public int InProjWidth => Selective ? 2 * Inner : Inner + ConvChannels + Heads;

    /// <summary>Floats of recurrent state one Mamba2 layer keeps per sequence: the convolution's last taps − 1 inputs and the SSM state.</summary>
    public int StateFloats => (ConvKernel - 1) * ConvChannels + Inner * StateSize;
}

/// <summary>Mamba 1's norms of its time-step inputs, B and C (<see cref="MambaOptions.SelectionNorms"/>).</summary>
public enum MambaSelectionNorms
{
    /// <summary>None (MambaForCausalLM).</summary>
    None,
    /// <summary>RMS norms without weights (Falcon-Mamba; llama.cpp's ssm.dt_b_c_rms).</summary>
    Unweighted,
    /// <summary>RMS norms with weights of their own (Jamba's dt_layernorm, b_layernorm, c_layernorm).</summary>
    Weighted,
}
