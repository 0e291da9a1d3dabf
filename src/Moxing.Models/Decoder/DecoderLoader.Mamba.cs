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
        if (m.Selective) return LoadSelectiveMamba(i);
        int h = o.HiddenSize, heads = m.Heads;
        var kernel = RequireKernel(names.SsmConv, i, m.ConvChannels, m.ConvKernel, "mamba_d_conv");
        return new MambaWeights
        {
            InProj = RequireLinear(names.SsmIn, i, m.InProjWidth, h),
            ConvKernel = Vector(kernel, m.ConvChannels * m.ConvKernel),
            ConvBias = ConvBias(kernel, m.ConvChannels),
            DtBias = MixerVector(names.SsmDtBias, i, heads, "time-step bias"),
            A = MixerDecay(i, heads, 1),
            D = MixerVector(names.SsmD, i, heads, "D"),
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

    private float[]? ConvBias(Core.Tensors.StoredTensor kernel, int channels) =>
        _tensors.Find(DecoderTensorNames.BiasOf(kernel.Name)) is { } b ? Vector(b, channels) : null;

    // A mixer's tensor of `size` values under `pattern`; `what` names it where the architecture has none.
    private float[] MixerVector(string? pattern, int layer, int size, string what)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, $"the architecture has no tensor for a Mamba mixer's {what}");
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        return Vector(t, size);
    }

    // A = −exp(A_log), or A as llama.cpp's converter stores it: per head (Mamba2) or [channels, states] (Mamba 1).
    private float[] MixerDecay(int layer, int rows, int states)
    {
        if (names.SsmALog == null) return MixerMatrix(names.SsmA, layer, rows, states, "A");
        return [.. MixerMatrix(names.SsmALog, layer, rows, states, "A_log").Select(v => -MathF.Exp(v))];
    }

    // A [rows, states] tensor (states 1: a vector, or [rows, 1] as llama.cpp's Mamba2 converter writes it), row-major.
    private float[] MixerMatrix(string? pattern, int layer, int rows, int states, string what)
    {
        if (states == 1) return MixerVector(pattern, layer, rows, what);
        if (pattern == null) throw new InvalidModelFileException(sourcePath, $"the architecture has no tensor for a Mamba mixer's {what}");
        return Vector(Require(pattern, rows, states, layer), rows * states);
    }
}
