using Moxing.Core;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// Mamba 1's mixers (MambaForCausalLM, Falcon-Mamba, Jamba): in_proj, the convolution over x, x_proj, dt_proj with its bias, A per
// channel and state (from A_log, or stored as −exp(A_log) by llama.cpp's converter), D per channel, the norms of the time-step
// inputs, B and C where the model has them, out_proj.
public sealed partial class DecoderLoader
{
    private MambaWeights LoadSelectiveMamba(int i)
    {
        var m = options.Mamba!;
        int h = options.HiddenSize, inner = m.Inner;
        var kernel = RequireKernel(names.SsmConv, i, inner, m.ConvKernel, "conv_kernel");
        var dtProj = RequireLinear(names.SsmDt, i, inner, m.TimeStepRank);
        if (dtProj.Bias == null) throw new InvalidModelFileException(sourcePath, $"tensor '{DecoderTensorNames.BiasOf(dtProj.Weight.Name)}' is missing");
        return new MambaWeights
        {
            InProj = RequireLinear(names.SsmIn, i, m.InProjWidth, h),
            ConvKernel = Vector(kernel, inner * m.ConvKernel),
            ConvBias = ConvBias(kernel, inner),
            XProj = RequireLinear(names.SsmX, i, m.SelectionWidth, inner),
            DtProj = dtProj,
            A = MixerDecay(i, inner, m.StateSize),
            D = MixerVector(names.SsmD, i, inner, "D"),
            SelectionNorms = m.SelectionNorms == MambaSelectionNorms.None ? null
                : (SelectionNorm(names.SsmDtNorm, i, m.TimeStepRank), SelectionNorm(names.SsmBNorm, i, m.StateSize), SelectionNorm(names.SsmCNorm, i, m.StateSize)),
            OutProj = RequireLinear(names.SsmOut, i, h, inner),
        };
    }

    // An RMS norm of `size` values with the mixer's epsilon: of unit weights (Falcon-Mamba), or of the tensor `pattern` (Jamba).
    private Norm SelectionNorm(string? pattern, int layer, int size)
    {
        var m = options.Mamba!;
        var weights = m.SelectionNorms == MambaSelectionNorms.Unweighted ? [.. Enumerable.Repeat(1f, size)] : MixerVector(pattern, layer, size, "norm of dt, B or C");
        return new Norm(NormKind.Rms, weights, null, m.SelectionNormEps);
    }
}
