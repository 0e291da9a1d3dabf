using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>Adagrad with learning-rate decay and weight decay (torch.optim.Adagrad).</summary>
public sealed class Adagrad : Optimizer
{
    private readonly float _lrDecay, _weightDecay, _eps, _initial;

    /// <summary>Creates the optimizer.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double learningRate = 0.01, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0, double eps = 1e-10)
        : base(parameters, learningRate) =>
        (_lrDecay, _weightDecay, _initial, _eps) = ((float)lrDecay, (float)weightDecay, (float)initialAccumulatorValue, (float)eps);

    /// <inheritdoc />
    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> gradient)
    {
        if (!HasState("sum", index)) Array.Fill(State("sum", index), _initial);
        var sum = State("sum", index);
        var step = CountUpdate(index);
        var g = WithWeightDecay(gradient, p, _weightDecay);
        var clr = (float)(LearningRate / (1 + (step - 1) * _lrDecay));
        for (var i = 0; i < p.Length; i++)
        {
            sum[i] += g[i] * g[i];
            p[i] += -clr * (g[i] / (MathF.Sqrt(sum[i]) + _eps));
        }
    }
}
