using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>RMSprop with optional momentum and centering (torch.optim.RMSprop).</summary>
public sealed class RmsProp : Optimizer
{
    private readonly float _alpha, _eps, _weightDecay, _mu;
    private readonly bool _centered;

    /// <summary>Creates the optimizer.</summary>
    public RmsProp(IEnumerable<Tensor> parameters, double learningRate = 0.01, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, learningRate) =>
        (_alpha, _eps, _weightDecay, _mu, _centered) = ((float)alpha, (float)eps, (float)weightDecay, (float)momentum, centered);

    /// <inheritdoc />
    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> gradient)
    {
        var g = WithWeightDecay(gradient, p, _weightDecay);
        var lr = (float)LearningRate;
        var square = State("square_avg", index);
        var average = _centered ? State("grad_avg", index) : null;
        var buf = _mu > 0f ? State("momentum_buffer", index) : null;
        for (var i = 0; i < p.Length; i++)
        {
            square[i] = square[i] * _alpha + (1f - _alpha) * g[i] * g[i];
            float avg;
            if (average != null)
            {
                average[i] += (1f - _alpha) * (g[i] - average[i]);
                avg = MathF.Sqrt(square[i] - average[i] * average[i]);
            }
            else avg = MathF.Sqrt(square[i]);
            avg += _eps;
            if (buf != null)
            {
                buf[i] = buf[i] * _mu + g[i] / avg;
                p[i] += -lr * buf[i];
            }
            else p[i] += -lr * (g[i] / avg);
        }
    }
}
