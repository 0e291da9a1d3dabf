using Moxing.Core;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// Qwen3-Next's and Qwen3.5's Gated DeltaNet layers: in_proj_qkv and in_proj_z, β and decay projections (apart, or Qwen3-Next's
// fused in_proj_ba), the convolution over q·k·v, per value head dt_bias and A (from A_log, or stored as −exp(A_log) by llama.cpp's
// converter), the gated norm of value-dim weights, out_proj.
public sealed partial class DecoderLoader
{
    private DeltaNetWeights LoadDeltaNet(int i)
    {
        var o = options;
        var d = o.DeltaNet!;
        int h = o.HiddenSize, heads = d.ValueHeads;
        var fused = Find(names.DeltaBetaAlpha, i);
        var a = names.SsmALog != null && Find(names.SsmALog, i) != null
            ? [.. ValueHeadVector(names.SsmALog, i, heads, "A_log").Select(v => -MathF.Exp(v))]
            : ValueHeadVector(names.SsmA, i, heads, "A");
        var normWeights = ValueHeadVector(names.SsmNorm, i, d.ValueHeadDim, "norm");
        return new DeltaNetWeights
        {
            Qkv = RequireLinear(names.DeltaQkv, i, d.ConvChannels, h),
            Z = RequireLinear(names.DeltaGate, i, d.ValueDim, h),
            Beta = fused == null ? RequireLinear(names.DeltaBeta, i, heads, h) : null,
            Alpha = fused == null ? RequireLinear(names.DeltaAlpha, i, heads, h) : null,
            BetaAlpha = fused == null ? null : Linear(fused, 2 * heads, h),
            ConvKernel = Vector(RequireKernel(names.SsmConv, i, d.ConvChannels, d.ConvKernel, "linear_conv_kernel_dim"), d.ConvChannels * d.ConvKernel),
            DtBias = ValueHeadVector(names.SsmDtBias, i, heads, "dt_bias"),
            A = a,
            // One weight per value dimension, shared by the heads: repeated so the norm runs over every head of a token at once.
            Norm = new Norm(NormKind.Rms, [.. Enumerable.Repeat(normWeights, heads).SelectMany(w => w)], null, o.NormEps, 0, d.ValueHeadDim),
            OutProj = RequireLinear(names.SsmOut, i, h, d.ValueDim),
        };
    }

    // A vector of `size` floats of layer `layer` (a per-head parameter or the norm's weights); `what` names it when the scheme has none.
    private float[] ValueHeadVector(string? pattern, int layer, int size, string what)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, $"the architecture has no tensor for a Gated DeltaNet's {what}");
        return Vector(Require(pattern, 0, size, layer), size);
    }
}
