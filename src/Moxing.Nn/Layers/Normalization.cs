using Moxing.Core.Autograd;
using Moxing.Core.Tensors;
using Moxing.Nn.Modules;

namespace Moxing.Nn.Layers;

/// <summary>Layer normalization over the trailing <c>normalizedShape</c> dimensions with weight (ones) and bias (zeros).</summary>
public sealed class LayerNorm : Layer
{
    private readonly int _size;
    private readonly float _eps;

    /// <summary>Normalizes over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true, bool bias = true)
    {
        (_size, _eps) = (normalizedSize, eps);
        if (!elementwiseAffine) return;
        Weight = RegisterParameter("weight", Tensor.Ones(normalizedSize));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros(normalizedSize));
    }

    /// <summary>Scale, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift, or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Tensor.LayerNorm(input, _size, Weight, Bias, _eps);
}

/// <summary>RMS normalization over the last dimension with a weight of ones (PyTorch's nn.RMSNorm).</summary>
public sealed class RMSNorm : Layer
{
    private readonly int _size;
    private readonly float _eps;

    /// <summary>Normalizes over the last dimension of size <paramref name="normalizedSize"/>.</summary>
    public RMSNorm(int normalizedSize, float eps = 1e-6f, bool elementwiseAffine = true)
    {
        (_size, _eps) = (normalizedSize, eps);
        if (elementwiseAffine) Weight = RegisterParameter("weight", Tensor.Ones(normalizedSize));
    }

    /// <summary>Scale, or null.</summary>
    public Tensor? Weight { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input) => Tensor.RmsNorm(input, _size, Weight, _eps);
}

/// <summary>Batch normalization over channel 1 with running statistics (PyTorch's _BatchNorm: momentum, or a cumulative average when momentum is null).</summary>
public abstract class BatchNorm : Layer
{
    private readonly float? _momentum;
    private readonly float _eps;

    /// <summary>Creates the layer for <paramref name="features"/> channels.</summary>
    protected BatchNorm(int features, float eps, float? momentum, bool affine, bool trackRunningStats)
    {
        (_eps, _momentum) = (eps, momentum);
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones(features));
            Bias = RegisterParameter("bias", Tensor.Zeros(features));
        }
        if (!trackRunningStats) return;
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(features));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones(features));
        BatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Scalar(0), DType.I64);
    }

    /// <summary>Scale, or null.</summary>
    public Tensor? Weight { get; }

    /// <summary>Shift, or null.</summary>
    public Tensor? Bias { get; }

    /// <summary>Running mean, or null when statistics are not tracked.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>Running (unbiased) variance, or null.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>Training batches seen (saved as int64 num_batches_tracked).</summary>
    public Tensor? BatchesTracked { get; }

    /// <summary>Ranks the input may have.</summary>
    protected abstract bool AcceptsRank(int rank);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        if (!AcceptsRank(input.Rank)) throw new ArgumentException($"{GetType().Name} does not take input {Shapes.Format(input.Shape)}");
        var useBatch = Training || RunningMean == null;
        var momentum = _momentum ?? 0f;
        if (Training && BatchesTracked != null)
        {
            BatchesTracked.Data[0] += 1;
            if (_momentum == null) momentum = 1f / BatchesTracked.Data[0];
        }
        return Tensor.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, useBatch, momentum, _eps);
    }
}

/// <summary>Batch normalization of [N, C] or [N, C, L].</summary>
public sealed class BatchNorm1d(int features, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(features, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc />
    protected override bool AcceptsRank(int rank) => rank is 2 or 3;
}

/// <summary>Batch normalization of [N, C, H, W].</summary>
public sealed class BatchNorm2d(int features, float eps = 1e-5f, float? momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    : BatchNorm(features, eps, momentum, affine, trackRunningStats)
{
    /// <inheritdoc />
    protected override bool AcceptsRank(int rank) => rank == 4;
}

/// <summary>A lookup table [vocab, dim] initialized N(0, 1), with an optional padding row kept at zero and out of the gradient.</summary>
public sealed class Embedding : Module
{
    private readonly int? _paddingIndex;

    /// <summary>Creates the table.</summary>
    public Embedding(int count, int dim, int? paddingIndex = null, Random? rng = null)
    {
        _paddingIndex = paddingIndex;
        Weight = RegisterParameter("weight", Tensor.Normal(rng ?? Rng.Shared, 0f, 1f, count, dim));
        if (paddingIndex is { } p) Weight.Data.Slice(p * dim, dim).Clear();
    }

    /// <summary>The table [vocab, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>Rows for <paramref name="ids"/>, shaped <paramref name="idsShape"/> + [dim].</summary>
    public Tensor Forward(ReadOnlySpan<int> ids, params int[] idsShape)
    {
        foreach (var id in ids)
            if ((uint)id >= (uint)Weight.Shape[0]) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the embedding table of {Weight.Shape[0]}");
        return Weight.Embedding(ids, idsShape, _paddingIndex);
    }
}
