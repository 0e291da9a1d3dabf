using Moxing.Core.Autograd;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Layers;

/// <summary>2-D convolution over [N, C, H, W] with weight [out, in/groups, kh, kw], initialized as PyTorch's nn.Conv2d.</summary>
public sealed class Conv2d : Layer
{
    private readonly (int H, int W) _stride, _padding, _dilation;
    private readonly int _groups;

    /// <summary>Creates the layer; square kernel, stride, padding and dilation.</summary>
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true, Random? rng = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, rng)
    {
    }

    /// <summary>Creates the layer with separate heights and widths.</summary>
    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups = 1, bool bias = true, Random? rng = null)
    {
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {inChannels} in and {outChannels} out channels must divide into {groups} groups");
        rng ??= Rng.Shared;
        (_stride, _padding, _dilation, _groups) = (stride, padding, dilation, groups);
        Weight = RegisterParameter("weight", Tensor.Zeros(outChannels, inChannels / groups, kernelSize.H, kernelSize.W));
        Init.KaimingUniform(Weight, rng);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Zeros(outChannels));
            Init.BiasUniform(Bias, Init.Fans(Weight).FanIn, rng);
        }
    }

    /// <summary>Weight [out, in/groups, kh, kw].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Tensor.Conv2d(input, Weight, Bias, _stride, _padding, _dilation, _groups);
}
