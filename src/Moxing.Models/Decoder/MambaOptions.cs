namespace Moxing.Models.Decoder;

/// <summary>
/// Mamba2 mixers on the layers <see cref="Layers"/> marks (Granite 4.0 hybrid): in_proj gives the gate z, x·B·C and a time step
/// per head; x·B·C runs through a depthwise causal convolution of <see cref="ConvKernel"/> taps and SiLU; each head's
/// [head dim × state] state decays by exp(dt·A) and takes dt·x·Bᵀ; y = state·C + D·x, gated by SiLU(z), RMS-normed in
/// <see cref="NormGroups"/> groups, then out_proj. The other layers attend.
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

    /// <summary>Whether layer <paramref name="layer"/> is a Mamba2 mixer.</summary>
    public bool IsMamba(int layer) => layer < Layers.Length && Layers[layer];

    /// <summary>Channels of the mixer's inner width (heads × head dim).</summary>
    public int Inner => Heads * HeadDim;

    /// <summary>Channels the convolution runs over: x, B and C.</summary>
    public int ConvChannels => Inner + 2 * Groups * StateSize;

    /// <summary>Outputs of in_proj per token: z, x·B·C and one time step per head.</summary>
    public int InProjWidth => Inner + ConvChannels + Heads;

    /// <summary>Floats of recurrent state one Mamba2 layer keeps per sequence: the convolution's last taps − 1 inputs and the SSM state.</summary>
    public int StateFloats => (ConvKernel - 1) * ConvChannels + Inner * StateSize;
}
