namespace Moxing.Core.Autograd;

/// <summary>Computes the gradients of a node's inputs from the gradient of its output.</summary>
internal delegate void BackwardFn(GradNode node, ReadOnlySpan<float> gradOutput);

/// <summary>One recorded op: its inputs, its output, what the backward pass needs, and how to run it.</summary>
internal sealed class GradNode(Tensor[] inputs, Tensor output, BackwardFn backward, object? saved)
{
    public Tensor[] Inputs { get; } = inputs;
    public Tensor Output { get; } = output;
    public object? Saved { get; } = saved;
    public BackwardFn Backward { get; } = backward;

    /// <summary>Input <paramref name="i"/>'s gradient buffer when it takes one, else an empty span.</summary>
    public Span<float> GradOf(int i) => Inputs[i].RequiresGrad ? Inputs[i].GradSpan() : default;

    /// <summary>True when input <paramref name="i"/> takes a gradient.</summary>
    public bool Needs(int i) => Inputs[i].RequiresGrad;
}
