using Moxing.Core;

namespace Moxing.Models.Decoder;

// LFM2's short-convolution layers: the operator norm, in_proj / conv / out_proj, then the layer's MLP or experts as in any block.
// The convolution kernels of these and of Mamba2 layers are read by RequireKernel.
public sealed partial class DecoderLoader
{
    private DecoderLayerWeights LoadShortConvLayer(int i)
    {
        var o = options;
        int h = o.HiddenSize, taps = o.ShortConv!.Kernel;
        var kernel = RequireKernel(names.ConvKernel, i, h, taps, "conv_L_cache");
        return new DecoderLayerWeights
        {
            AttentionNorm = RequireNorm(names.AttentionNorm, i, h),
            ShortConv = new ShortConvWeights
            {
                InProj = RequireLinear(names.ConvInProj, i, 3 * h, h),
                Kernel = Vector(kernel, h * taps),
                KernelBias = _tensors.Find(DecoderTensorNames.BiasOf(kernel.Name)) is { } b ? Vector(b, h) : null,
                OutProj = RequireLinear(names.ConvOutProj, i, h, h),
            },
            MlpNorm = RequireNorm(names.MlpNorm, i, h),
            // LFM2-MoE's convolution layers route to experts as its attention layers do.
            Mlp = o.Moe?.IsSparse(i) == true ? null : LoadMlp(i),
            Moe = o.Moe is { } moe && moe.IsSparse(i) ? LoadMoe(i, moe) : null,
        };
    }

    // transformers' Conv1d weight is [channels, 1, taps]; llama.cpp's converter squeezes it to [channels, taps]. `key` names the
    // config key giving the taps.
    private Core.Tensors.StoredTensor RequireKernel(string? pattern, int layer, int channels, int taps, string key)
    {
        if (pattern == null) throw new InvalidModelFileException(sourcePath, "the architecture has no tensor for a convolution's kernel");
        var name = DecoderTensorNames.ForLayer(pattern, layer);
        var t = _tensors.Find(name) ?? throw new InvalidModelFileException(sourcePath, $"tensor '{name}' is missing");
        var shape = t.Shape;
        var ok = shape.Length == 2 && shape[0] == channels && shape[1] == taps || shape.Length == 3 && shape[0] == channels && shape[1] == 1 && shape[2] == taps;
        if (!ok)
            throw new InvalidModelFileException(sourcePath, $"tensor '{name}' has shape [{string.Join(", ", shape)}], expected [{channels}, {taps}] or [{channels}, 1, {taps}] from the model's configuration ({key} {taps})");
        return t;
    }
}
