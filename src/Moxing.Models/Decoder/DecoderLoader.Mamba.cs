using Moxing.Core;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// Granite 4.0 hybrid's Mamba2 mixers: in_proj, the convolution over x·B·C, per-head dt bias, A (from A_log, or stored as
// −exp(A_log) by llama.cpp's converter) and D, the gated norm, out_proj.
public sealed partial class DecoderLoader
{
    private MambaWeights LoadMamba(int i)
    {
        var o = options;
        var m = o.Mamba!;
        int h = o.HiddenSize, heads = m.Heads;
        var kernel = RequireKernel(names.SsmConv, i, m.ConvChannels, m.ConvKernel, "mamba_d_conv");
        float[] PerHead(string? pattern, string what)
        {
            if (pattern == null) throw new InvalidModelFileException(sourcePath, $"the architecture has no tensor for a Mamba2 mixer's {what}");
            var name = DecoderTensorNames.ForLayer(pattern, i);
            var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
            return Vector(t, heads);
        }
        var a = names.SsmALog != null ? [.. PerHead(names.SsmALog, "A_log").Select(v => -MathF.Exp(v))] : PerHead(names.SsmA, "A");
        return new MambaWeights
        {
            InProj = RequireLinear(names.SsmIn, i, m.InProjWidth, h),
            ConvKernel = Vector(kernel, m.ConvChannels * m.ConvKernel),
            ConvBias = _tensors.Find(DecoderTensorNames.BiasOf(kernel.Name)) is { } b ? Vector(b, m.ConvChannels) : null,
            DtBias = PerHead(names.SsmDtBias, "time-step bias"),
            A = a,
            D = PerHead(names.SsmD, "D"),
            // Falcon-H1 without mamba_rms_norm has no norm weights: y·SiLU(z) goes to out_proj as it is.
            Norm = SsmNormWeights(i, m.Inner) is { } norm ? new Norm(NormKind.Rms, norm, null, o.NormEps, 0, m.Inner / m.NormGroups) : null,
            OutProj = RequireLinear(names.SsmOut, i, h, m.Inner),
        };
    }

    // [inner] in transformers, [groups, inner / groups] as llama.cpp's converter reshapes it: the same values either way. Null where the
    // options say the mixers have no norm (Falcon-H1's mamba_rms_norm false).
    private float[]? SsmNormWeights(int layer, int inner)
    {
        if (!options.Mamba!.Normed) return null;
        if (names.SsmNorm == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a Mamba2 mixer's norm");
        var name = DecoderTensorNames.ForLayer(names.SsmNorm, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        return Vector(t, inner);
    }
}
