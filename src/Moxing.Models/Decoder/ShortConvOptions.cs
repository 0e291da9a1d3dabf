namespace Moxing.Models.Decoder;

/// <summary>
/// LFM2's gated short convolutions: on the layers <see cref="Layers"/> marks, in_proj gives B, C and x, B·x runs through a
/// depthwise causal convolution of <see cref="Kernel"/> taps, C gates its output and out_proj maps it back; the other layers attend.
/// </summary>
public sealed record ShortConvOptions
{
    /// <summary>Taps of the convolution (conv_L_cache): each output reads this many inputs, the last Kernel − 1 of them kept per sequence.</summary>
    public required int Kernel { get; init; }

    /// <summary>Per layer, true where it is a short convolution rather than attention.</summary>
    public required bool[] Layers { get; init; }

    /// <summary>Whether layer <paramref name="layer"/> is a short convolution.</summary>
    public bool IsConv(int layer) => layer < Layers.Length && Layers[layer];

    /// <summary>Floats of recurrent state one convolution layer keeps per sequence: Kernel − 1 inputs of every channel.</summary>
    public int StateFloats(int hidden) => (Kernel - 1) * hidden;
}
