using Moxing.Core.Autograd;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Layers;

/// <summary>2-D max pooling (stride defaults to the kernel size, as PyTorch).</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        input.MaxPool2d((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), (dilation, dilation));
}

/// <summary>2-D average pooling (stride defaults to the kernel size; zero padding counted unless told otherwise).</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) =>
        input.AvgPool2d((kernelSize, kernelSize), (stride ?? kernelSize, stride ?? kernelSize), (padding, padding), countIncludePad);
}

/// <summary>Average pooling to a fixed output size.</summary>
public sealed class AdaptiveAvgPool2d(int outHeight, int outWidth) : Layer
{
    /// <summary>Square output.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this(outputSize, outputSize)
    {
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.AdaptiveAvgPool2d(outHeight, outWidth);
}

/// <summary>Flattens dimensions startDim..endDim (PyTorch's nn.Flatten: from 1 by default).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Flatten(startDim, endDim);
}

/// <summary>Zeroes elements with probability p in training mode and rescales the rest.</summary>
public sealed class Dropout(float p = 0.5f, Random? rng = null) : Layer
{
    /// <summary>The drop probability.</summary>
    public float P { get; } = p;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Dropout(P, Training, rng ?? Rng.Shared);
}
