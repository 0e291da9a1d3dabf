namespace Moxing.Core.Autograd;

/// <summary>How a loss combines its per-element values (PyTorch's reduction argument).</summary>
public enum Reduction
{
    /// <summary>The mean over elements (over non-ignored targets for class losses).</summary>
    Mean,
    /// <summary>The sum over elements.</summary>
    Sum,
    /// <summary>One loss per element.</summary>
    None,
}
