using Moxing.Core.Autograd;

namespace Moxing.Nn.Losses;

/// <summary>Cross-entropy between logits [N, C] and class indices (PyTorch's nn.CrossEntropyLoss with ignore_index and label_smoothing).</summary>
public sealed class CrossEntropyLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
{
    /// <summary>The loss; logits of rank above 2 are read as [..., C] rows.</summary>
    public Tensor Forward(Tensor logits, ReadOnlySpan<int> targets) =>
        Tensor.CrossEntropy(logits.Rank > 2 ? logits.Reshape(-1, logits.Shape[^1]) : logits, targets, reduction, ignoreIndex, labelSmoothing);
}

/// <summary>Negative log-likelihood of log-probabilities [N, C] at class indices (nn.NLLLoss).</summary>
public sealed class NllLoss(Reduction reduction = Reduction.Mean, int ignoreIndex = -100)
{
    /// <summary>The loss.</summary>
    public Tensor Forward(Tensor logProbabilities, ReadOnlySpan<int> targets) =>
        Tensor.NllLoss(logProbabilities.Rank > 2 ? logProbabilities.Reshape(-1, logProbabilities.Shape[^1]) : logProbabilities, targets, reduction, ignoreIndex);
}

/// <summary>Mean squared error (nn.MSELoss).</summary>
public sealed class MseLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>The loss.</summary>
    public Tensor Forward(Tensor prediction, Tensor target) => Tensor.MseLoss(prediction, target, reduction);
}

/// <summary>Binary cross-entropy on logits (nn.BCEWithLogitsLoss).</summary>
public sealed class BceWithLogitsLoss(Reduction reduction = Reduction.Mean)
{
    /// <summary>The loss.</summary>
    public Tensor Forward(Tensor logits, Tensor target) => Tensor.BinaryCrossEntropyWithLogits(logits, target, reduction);
}
