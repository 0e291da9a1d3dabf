using Moxing.Core.Autograd;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Layers;

/// <summary>y = x·Wᵀ + b with weight [out, in] and bias [out], initialized as PyTorch's nn.Linear.</summary>
public sealed class Linear : Layer
{
    /// <summary>Creates the layer with kaiming_uniform(a=√5) weights and U(±1/√in) bias.</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, Random? rng = null)
    {
        rng ??= Rng.Shared;
        Weight = RegisterParameter("weight", Tensor.Zeros(outFeatures, inFeatures));
        Init.KaimingUniform(Weight, rng);
        if (bias)
        {
            Bias = RegisterParameter("bias", Tensor.Zeros(outFeatures));
            Init.BiasUniform(Bias, inFeatures, rng);
        }
    }

    /// <summary>Weight [out, in].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [out], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);
}
