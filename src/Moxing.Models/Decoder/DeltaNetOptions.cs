namespace Moxing.Models.Decoder;

/// <summary>
/// Gated DeltaNet linear attention on the layers <see cref="Layers"/> marks (Qwen3-Next, Qwen3.5): q·k·v through a depthwise causal
/// convolution of <see cref="ConvKernel"/> taps and SiLU; q and k L2-normed per key head (q also by 1/√key dim); per value head a
/// [key dim × value dim] state decays by exp(−exp(A_log)·softplus(a + dt_bias)) and takes the delta rule's correction
/// k ⊗ sigmoid(b)·(v − stateᵀk); the output stateᵀq through an RMSNorm of the value dims gated by SiLU(z), then out_proj. The
/// other layers attend.
/// </summary>
public sealed record DeltaNetOptions
{
    /// <summary>Key (and query) heads (linear_num_key_heads, llama.cpp's ssm.group_count).</summary>
    public required int KeyHeads { get; init; }
    /// <summary>Value heads, a multiple of the key heads (linear_num_value_heads, llama.cpp's ssm.time_step_rank).</summary>
    public required int ValueHeads { get; init; }
    /// <summary>Dimensions per key head (linear_key_head_dim, llama.cpp's ssm.state_size).</summary>
    public required int KeyHeadDim { get; init; }
    /// <summary>Dimensions per value head (linear_value_head_dim).</summary>
    public required int ValueHeadDim { get; init; }
    /// <summary>Taps of the convolution (linear_conv_kernel_dim).</summary>
    public required int ConvKernel { get; init; }
    /// <summary>
    /// Value head h reads key head h mod key heads (llama.cpp's qwen35 GGUFs, whose converter reorders the value heads so) rather than
    /// h ÷ (value heads ÷ key heads) (transformers' repeat_interleave, llama.cpp's qwen3next).
    /// </summary>
    public bool TiledKeyHeads { get; init; }
    /// <summary>Per layer, true where it is a Gated DeltaNet rather than attention.</summary>
    public required bool[] Layers { get; init; }

    /// <summary>Whether layer <paramref name="layer"/> is a Gated DeltaNet.</summary>
    public bool IsDeltaNet(int layer) => layer < Layers.Length && Layers[layer];

    /// <summary>Width of all key (or query) heads.</summary>
    public int KeyDim => KeyHeads * KeyHeadDim;

    /// <summary>Width of all value heads (and of the gate z).</summary>
    public int ValueDim => ValueHeads * ValueHeadDim;

    /// <summary>Channels the convolution runs over: q, k and v.</summary>
    public int ConvChannels => 2 * KeyDim + ValueDim;

    /// <summary>The key head value head <paramref name="head"/> reads.</summary>
    public int KeyHeadOf(int head) => TiledKeyHeads ? head % KeyHeads : head / (ValueHeads / KeyHeads);

    /// <summary>Floats of recurrent state one layer keeps per sequence: the convolution's last taps − 1 inputs and every value head's state.</summary>
    public int StateFloats => (ConvKernel - 1) * ConvChannels + ValueHeads * KeyHeadDim * ValueHeadDim;
}
