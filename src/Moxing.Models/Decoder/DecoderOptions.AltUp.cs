namespace Moxing.Models.Decoder;

// Gemma 3n's switches: the residual streams of AltUp, the Laurel block beside attention, the gaussian top-k of the MLP's gate.
public sealed partial record DecoderOptions
{
    /// <summary>Several residual streams predicted and corrected around each layer (Gemma 3n's AltUp); null: one stream.</summary>
    public AltUpOptions? AltUp { get; init; }

    /// <summary>
    /// Rank of the learned augmented residual beside each layer's attention (Gemma 3n's Laurel: normed x + norm(right(left(normed x))),
    /// averaged with the attention's residual sum); 0 for none.
    /// </summary>
    public int LaurelRank { get; init; }

    /// <summary>
    /// Per layer, the standard-deviation multiplier of the gaussian top-k on the MLP's gate projection: each token's gate row loses
    /// mean + multiplier · std and is clamped at 0 before the activation (Gemma 3n's activation_sparsity_pattern p as the normal's
    /// quantile of p); not finite, or past the array: none.
    /// </summary>
    public float[] GateSparsity { get; init; } = [];

    /// <summary>The gaussian top-k multiplier of layer <paramref name="layer"/>'s gate, null where it has none.</summary>
    public float? GateSparsityOf(int layer) => layer < GateSparsity.Length && float.IsFinite(GateSparsity[layer]) ? GateSparsity[layer] : null;
}
