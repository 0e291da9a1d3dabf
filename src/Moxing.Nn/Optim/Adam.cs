using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>Adam (torch.optim.Adam, L2 weight decay added to the gradient) and, with decoupled decay, AdamW.</summary>
public class Adam : Optimizer
{
    private readonly double _beta1, _beta2, _eps, _weightDecay;
    private readonly bool _decoupled;

    /// <summary>Creates Adam.</summary>
    public Adam(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
        : this(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: false)
    {
    }

    /// <summary>Creates Adam or AdamW.</summary>
    protected Adam(IEnumerable<Tensor> parameters, double learningRate, double beta1, double beta2, double eps, double weightDecay, bool decoupled)
        : base(parameters, learningRate) =>
        (_beta1, _beta2, _eps, _weightDecay, _decoupled) = (beta1, beta2, eps, weightDecay, decoupled);

    /// <inheritdoc />
    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> gradient)
    {
        var step = CountUpdate(index);
        var lr = LearningRate;
        if (_decoupled && _weightDecay != 0)
        {
            var keep = (float)(1 - lr * _weightDecay);
            for (var i = 0; i < p.Length; i++) p[i] *= keep;
        }
        var g = _decoupled ? gradient : WithWeightDecay(gradient, p, (float)_weightDecay);
        var m = State("exp_avg", index);
        var v = State("exp_avg_sq", index);
        var stepSize = (float)(lr / (1 - Math.Pow(_beta1, step)));
        var correction2Sqrt = (float)Math.Sqrt(1 - Math.Pow(_beta2, step));
        float w1 = (float)(1 - _beta1), b2 = (float)_beta2, w2 = (float)(1 - _beta2), eps = (float)_eps;
        for (var i = 0; i < p.Length; i++)
        {
            m[i] += w1 * (g[i] - m[i]);
            v[i] = v[i] * b2 + w2 * g[i] * g[i];
            var denom = MathF.Sqrt(v[i]) / correction2Sqrt + eps;
            p[i] += -stepSize * (m[i] / denom);
        }
    }
}

/// <summary>AdamW: Adam with decoupled weight decay p ← p·(1 − lr·λ) (torch.optim.AdamW; default λ = 0.01).</summary>
public sealed class AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
    : Adam(parameters, learningRate, beta1, beta2, eps, weightDecay, decoupled: true);
