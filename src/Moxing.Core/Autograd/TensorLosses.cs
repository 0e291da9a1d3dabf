using System.Numerics.Tensors;
using Moxing.Core.Ops;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>Cross-entropy of logits [N, C] against class indices [N] (PyTorch's F.cross_entropy with ignore_index and label_smoothing).</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        var (rows, classes) = ClassRows(logits, targets, ignoreIndex, "CrossEntropy");
        if (labelSmoothing < 0f || labelSmoothing > 1f) throw new ArgumentException($"label smoothing must be in [0, 1], got {labelSmoothing}");
        var logp = new float[logits.Count];
        var losses = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = logp.AsSpan(r * classes, classes);
            logits._data.AsSpan(r * classes, classes).CopyTo(row);
            LogSoftmaxRow(row);
            if (targets[r] == ignoreIndex) continue;
            var smooth = labelSmoothing > 0f ? -TensorPrimitives.Sum<float>(row) / classes : 0f;
            losses[r] = (1f - labelSmoothing) * -row[targets[r]] + labelSmoothing * smooth;
        }
        return ReduceClassLoss(logits, targets, ignoreIndex, reduction, losses, static (n, scales) =>
        {
            var (logp, targets, ignore, smoothing) = ((float[], int[], int, float))n.Saved!;
            var dx = n.GradOf(0);
            var classes = n.Inputs[0].Shape[^1];
            for (var r = 0; r < targets.Length; r++)
            {
                if (targets[r] == ignore || scales[r] == 0f) continue;
                var d = dx.Slice(r * classes, classes);
                var lp = logp.AsSpan(r * classes, classes);
                var s = scales[r];
                for (var c = 0; c < classes; c++) d[c] += s * (MathF.Exp(lp[c]) - smoothing / classes);
                d[targets[r]] -= s * (1f - smoothing);
            }
        }, (logp, targets.ToArray(), ignoreIndex, labelSmoothing));
    }

    /// <summary>Negative log-likelihood of log-probabilities [N, C] at class indices [N] (PyTorch's F.nll_loss).</summary>
    public static Tensor NllLoss(Tensor logProbabilities, ReadOnlySpan<int> targets, Reduction reduction = Reduction.Mean, int ignoreIndex = -100)
    {
        var (rows, classes) = ClassRows(logProbabilities, targets, ignoreIndex, "NllLoss");
        var losses = new float[rows];
        for (var r = 0; r < rows; r++)
            if (targets[r] != ignoreIndex) losses[r] = -logProbabilities._data[r * classes + targets[r]];
        return ReduceClassLoss(logProbabilities, targets, ignoreIndex, reduction, losses, static (n, scales) =>
        {
            var (targets, ignore) = ((int[], int))n.Saved!;
            var dx = n.GradOf(0);
            var classes = n.Inputs[0].Shape[^1];
            for (var r = 0; r < targets.Length; r++)
                if (targets[r] != ignore) dx[r * classes + targets[r]] -= scales[r];
        }, (targets.ToArray(), ignoreIndex));
    }

    private static (int Rows, int Classes) ClassRows(Tensor input, ReadOnlySpan<int> targets, int ignoreIndex, string op)
    {
        if (input.Rank is < 1 or > 2) throw new ArgumentException($"{op} expects [N, C] or [C] input, got {Shapes.Format(input.Shape)}");
        var classes = input.Shape[^1];
        var rows = input.Rank == 2 ? input.Shape[0] : 1;
        if (targets.Length != rows) throw new ArgumentException($"{op}: {targets.Length} targets for {rows} rows");
        foreach (var t in targets)
            if (t != ignoreIndex && (uint)t >= (uint)classes) throw new ArgumentException($"{op}: target {t} is out of range for {classes} classes");
        return (rows, classes);
    }

    /// <summary>Backward of a per-row class loss: adds the row gradients times <c>scales[r]</c> (d loss / d row-loss).</summary>
    private delegate void ClassLossBackward(GradNode node, float[] scales);

    private static Tensor ReduceClassLoss(Tensor input, ReadOnlySpan<int> targets, int ignoreIndex, Reduction reduction, float[] losses, ClassLossBackward backward, object saved)
    {
        var counted = 0;
        foreach (var t in targets) if (t != ignoreIndex) counted++;
        var output = reduction switch
        {
            Reduction.None => new Tensor(losses, input.Rank == 2 ? [losses.Length] : []),
            Reduction.Sum => Scalar(Sum(losses)),
            _ => Scalar(counted == 0 ? float.NaN : (float)(Sum(losses) / counted)),
        };
        return Record(output, input, (n, g) =>
        {
            var scales = new float[losses.Length];
            for (var r = 0; r < scales.Length; r++)
                scales[r] = reduction switch { Reduction.None => g[r], Reduction.Sum => g[0], _ => counted == 0 ? 0f : g[0] / counted };
            backward(n, scales);
        }, saved);
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        double s = 0;
        foreach (var v in values) s += v;
        return (float)s;
    }

    /// <summary>Binary cross-entropy on logits, stable for large |x| (PyTorch's F.binary_cross_entropy_with_logits); targets may take gradients.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor targets, Reduction reduction = Reduction.Mean)
    {
        if (!Shapes.Equal(logits.Shape, targets.Shape))
            throw new ArgumentException($"BCE: logits {Shapes.Format(logits.Shape)} and targets {Shapes.Format(targets.Shape)} differ");
        var losses = new float[logits.Count];
        for (var i = 0; i < losses.Length; i++)
        {
            float x = logits._data[i], t = targets._data[i];
            losses[i] = MathF.Max(x, 0f) - x * t + MathF.Log(1f + MathF.Exp(-MathF.Abs(x)));
        }
        var output = reduction switch
        {
            Reduction.None => new Tensor(losses, (int[])logits.Shape.Clone()),
            Reduction.Sum => Scalar(Sum(losses)),
            _ => Scalar(Sum(losses) / Math.Max(losses.Length, 1)),
        };
        return Record(output, logits, targets, static (n, g) =>
        {
            var reduction = (Reduction)n.Saved!;
            Tensor x = n.Inputs[0], t = n.Inputs[1];
            var count = x.Count;
            for (var i = 0; i < count; i++)
            {
                var s = reduction == Reduction.None ? g[i] : reduction == Reduction.Sum ? g[0] : g[0] / count;
                if (n.Needs(0)) n.GradOf(0)[i] += s * (1f / (1f + MathF.Exp(-x._data[i])) - t._data[i]);
                if (n.Needs(1)) n.GradOf(1)[i] -= s * x._data[i];
            }
        }, reduction);
    }

    /// <summary>Mean squared error (or its sum, or element-wise) between same-shaped tensors.</summary>
    public static Tensor MseLoss(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        if (!Shapes.Equal(prediction.Shape, target.Shape))
            throw new ArgumentException($"MSE: prediction {Shapes.Format(prediction.Shape)} and target {Shapes.Format(target.Shape)} differ");
        var squared = (prediction - target).Pow(2f);
        return reduction switch { Reduction.None => squared, Reduction.Sum => squared.Sum(), _ => squared.Mean() };
    }

    /// <summary>Zeroes each element with probability <paramref name="p"/> and scales the rest by 1/(1−p) when training; the identity otherwise.</summary>
    /// <remarks>The mask is a hash of one 64-bit seed drawn from <paramref name="rng"/> (see <see cref="DropoutMask"/>), so a seeded source reproduces it.</remarks>
    public Tensor Dropout(float p, bool training, Random rng)
    {
        if (p < 0f || p > 1f) throw new ArgumentException($"dropout probability must be in [0, 1], got {p}");
        if (!training || p == 0f) return this;
        var seed = (ulong)rng.NextInt64(long.MinValue, long.MaxValue);
        var output = Uninitialized(Shape);
        DropoutMask.Apply(_data, output._data, seed, p, accumulate: false);
        return Record(output, this, static (n, g) =>
        {
            var (seed, p) = ((ulong, float))n.Saved!;
            if (n.Needs(0)) DropoutMask.Apply(g, n.GradOf(0), seed, p, accumulate: true);
        }, (seed, p));
    }
}
