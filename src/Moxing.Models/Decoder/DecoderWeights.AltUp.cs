using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

/// <summary>One layer's AltUp: the router that weighs the streams, and the coefficients that predict and correct them (<see cref="AltUpOptions"/>).</summary>
public sealed class AltUpWeights
{
    /// <summary>modality_router [streams, hidden]: one logit per stream from the normed active stream.</summary>
    public required Linear Router { get; init; }
    /// <summary>router_norm over the hidden width.</summary>
    public required Norm RouterNorm { get; init; }
    /// <summary>prediction_coefs [streams², streams], row-major: stream c's prediction is Σ_r (coefs · tanh(router))[c · streams + r] · stream r, plus stream c.</summary>
    public required float[] PredictionCoefficients { get; init; }
    /// <summary>correction_coefs [streams, streams], row-major (clipped where the options say).</summary>
    public required float[] CorrectionCoefficients { get; init; }
    /// <summary>correct_output_scale [hidden], what the corrected active stream is multiplied by before it gates the per-layer input; null when not applied.</summary>
    public float[]? CorrectOutputScale { get; init; }
}

/// <summary>The projections that make the extra AltUp streams from the embeddings and take them back before the final norm.</summary>
public sealed class AltUpStreamWeights
{
    /// <summary>altup_projections: stream k + 1 is projection k of the embeddings [hidden, hidden], scaled to their RMS.</summary>
    public required Linear[] Projections { get; init; }
    /// <summary>altup_unembed_projections: stream k + 1 goes back through projection k, scaled to stream 0's RMS.</summary>
    public required Linear[] Unembeddings { get; init; }
    /// <summary>The file's [streams − 1, hidden, hidden] stacks behind views, when stored so (GGUF).</summary>
    public IReadOnlyList<StoredTensor> Stored { get; init; } = [];
    /// <summary>Matrices made over part of a stack of <see cref="Stored"/>.</summary>
    public IReadOnlyList<StoredTensor> Views { get; init; } = [];
}

/// <summary>Gemma 3n's Laurel block: a low-rank residual of the normed layer input, normed.</summary>
public sealed class LaurelWeights
{
    /// <summary>linear_left [rank, hidden].</summary>
    public required Linear Left { get; init; }
    /// <summary>linear_right [hidden, rank].</summary>
    public required Linear Right { get; init; }
    /// <summary>post_laurel_norm over the hidden width.</summary>
    public required Norm PostNorm { get; init; }
}
