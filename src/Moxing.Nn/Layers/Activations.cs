using Moxing.Core.Autograd;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Layers;

/// <summary>max(0, x).</summary>
public sealed class ReLU : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Relu();
}

/// <summary>GELU, exact (erf) or with the tanh approximation.</summary>
public sealed class GELU(bool tanhApproximation = false) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Gelu(tanhApproximation);
}

/// <summary>x·σ(x).</summary>
public sealed class SiLU : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Silu();
}

/// <summary>Hyperbolic tangent.</summary>
public sealed class Tanh : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Tanh();
}

/// <summary>Logistic sigmoid.</summary>
public sealed class Sigmoid : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Sigmoid();
}

/// <summary>Softmax over a dimension.</summary>
public sealed class Softmax(int dim = -1) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.Softmax(dim);
}

/// <summary>Log-softmax over a dimension.</summary>
public sealed class LogSoftmax(int dim = -1) : Layer
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => input.LogSoftmax(dim);
}
