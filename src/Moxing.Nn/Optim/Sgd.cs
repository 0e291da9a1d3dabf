using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD).</summary>
public sealed class Sgd : Optimizer
{
    private readonly float _mu, _dampening, _weightDecay;
    private readonly bool _nesterov;

    /// <summary>Creates the optimizer.</summary>
    public Sgd(IEnumerable<Tensor> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate)
    {
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
        (_mu, _dampening, _weightDecay, _nesterov) = ((float)momentum, (float)dampening, (float)weightDecay, nesterov);
    }

    /// <inheritdoc />
    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> gradient)
    {
        var g = WithWeightDecay(gradient, p, _weightDecay);
        var lr = (float)LearningRate;
        if (_mu == 0f)
        {
            for (var i = 0; i < p.Length; i++) p[i] += -lr * g[i];
            return;
        }
        var fresh = !HasState("momentum_buffer", index);
        var buf = State("momentum_buffer", index);
        for (var i = 0; i < p.Length; i++)
        {
            buf[i] = fresh ? g[i] : buf[i] * _mu + (1f - _dampening) * g[i];
            var step = _nesterov ? g[i] + _mu * buf[i] : buf[i];
            p[i] += -lr * step;
        }
    }
}
