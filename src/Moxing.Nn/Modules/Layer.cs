using Moxing.Core.Autograd;

namespace Moxing.Nn.Modules;

/// <summary>A module that maps one tensor to one tensor, so it can be chained in a <see cref="Sequential"/>.</summary>
public abstract class Layer : Module
{
    /// <summary>Computes the layer's output.</summary>
    public abstract Tensor Forward(Tensor input);
}
