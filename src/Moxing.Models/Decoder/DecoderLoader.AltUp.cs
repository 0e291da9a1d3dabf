using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// Gemma 3n's part of the loader: the AltUp streams' projections (per stream, or views of one stack), each layer's router and
// coefficients, its Laurel block.
public sealed partial class DecoderLoader
{
    private AltUpStreamWeights LoadAltUpStreams(AltUpOptions altUp)
    {
        var h = options.HiddenSize;
        if (altUp.Streams < 2) throw new InvalidModelFileException(sourcePath, $"AltUp has {altUp.Streams} streams; it needs at least 2");
        if (altUp.ActiveStream < 0 || altUp.ActiveStream >= altUp.Streams)
            throw new InvalidModelFileException(sourcePath, $"AltUp's active stream is {altUp.ActiveStream}; it must be below the {altUp.Streams} streams");
        var stored = new List<StoredTensor>();
        var views = new List<StoredTensor>();
        return new AltUpStreamWeights
        {
            Projections = Experts(names.AltUpProjections, 0, altUp.Streams - 1, h, h, stored, views),
            Unembeddings = Experts(names.AltUpUnembedProjections, 0, altUp.Streams - 1, h, h, stored, views),
            Stored = stored,
            Views = views,
        };
    }

    private AltUpWeights LoadAltUp(int i, AltUpOptions altUp)
    {
        var (h, k) = (options.HiddenSize, altUp.Streams);
        var correction = Vector(Require(Named(names.AltUpCorrectionCoefficients), k, k, i), k * k);
        // transformers clamps correction_coefs to ±altup_coef_clip before every correction, in inference too.
        if (altUp.CoefficientClip > 0)
            for (var j = 0; j < correction.Length; j++) correction[j] = Math.Clamp(correction[j], -altUp.CoefficientClip, altUp.CoefficientClip);
        return new AltUpWeights
        {
            Router = RequireLinear(names.AltUpRouter, i, k, h),
            RouterNorm = RequireNorm(names.AltUpRouterNorm, i, h),
            PredictionCoefficients = Vector(Require(Named(names.AltUpPredictionCoefficients), k * k, k, i), k * k * k),
            CorrectionCoefficients = correction,
            CorrectOutputScale = altUp.CorrectOutputScale ? Vector(Require(Named(names.AltUpCorrectOutputScale), 0, h, i), h) : null,
        };
    }

    private LaurelWeights LoadLaurel(int i)
    {
        var (h, rank) = (options.HiddenSize, options.LaurelRank);
        return new LaurelWeights
        {
            Left = RequireLinear(names.LaurelLeft, i, rank, h),
            Right = RequireLinear(names.LaurelRight, i, h, rank),
            PostNorm = RequireNorm(names.LaurelPostNorm, i, h),
        };
    }

    private string Named(string? pattern) => pattern ?? throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for AltUp's coefficients");
}
