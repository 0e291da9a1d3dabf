namespace Moxing.Models.Decoder;

/// <summary>
/// Alternating updates (Gemma 3n's AltUp): the residual stream is <see cref="Streams"/> streams; each layer predicts every stream
/// from all of them, runs on the prediction of <see cref="ActiveStream"/>, and corrects every prediction by what the layer did to it.
/// </summary>
public sealed record AltUpOptions
{
    /// <summary>Number of streams (altup_num_inputs): the embeddings and their projections, one per extra stream.</summary>
    public required int Streams { get; init; }

    /// <summary>The stream each layer runs on (altup_active_idx).</summary>
    public int ActiveStream { get; init; }

    /// <summary>The corrected active stream is multiplied by the layer's correct_output_scale before it gates the per-layer input (altup_correct_scale).</summary>
    public bool CorrectOutputScale { get; init; } = true;

    /// <summary>The correction coefficients' weights are clamped to ±this (transformers' altup_coef_clip, applied in inference too); 0 for none.</summary>
    public float CoefficientClip { get; init; }
}
