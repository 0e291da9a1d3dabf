using Moxing.Nn.Optim;

namespace Moxing.Nn.Schedules;

/// <summary>Sets an optimizer's learning rate from the step count (torch.optim.lr_scheduler closed forms); call <see cref="Step"/> after each optimizer step or epoch.</summary>
public abstract class LrScheduler
{
    private readonly Optimizer _optimizer;

    /// <summary>Attaches to <paramref name="optimizer"/> and sets the rate for step 0 (derived fields are initialized before this runs).</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        _optimizer = optimizer;
        BaseLearningRate = optimizer.InitialLearningRate;
        optimizer.LearningRate = LearningRateAt(0);
    }

    /// <summary>The optimizer's initial learning rate.</summary>
    protected double BaseLearningRate { get; }

    /// <summary>Scheduler steps taken.</summary>
    public int Epoch { get; private set; }

    /// <summary>The learning rate at scheduler step <paramref name="epoch"/>.</summary>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Advances one step and updates the optimizer's rate.</summary>
    public void Step() => _optimizer.LearningRate = LearningRateAt(++Epoch);

    /// <summary><paramref name="value"/> when it is positive; else an error naming <paramref name="name"/>.</summary>
    protected static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, $"{name} must be positive, got {value}");
}

/// <summary>lr·γ^⌊epoch/stepSize⌋ (StepLR).</summary>
public sealed class StepLr(Optimizer optimizer, int stepSize, double gamma = 0.1) : LrScheduler(optimizer)
{
    private readonly int _stepSize = Positive(stepSize, nameof(stepSize));

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(gamma, epoch / _stepSize);
}

/// <summary>η_min + (lr − η_min)·(1 + cos(π·epoch/T_max))/2 (CosineAnnealingLR).</summary>
public sealed class CosineAnnealingLr(Optimizer optimizer, int tMax, double etaMin = 0) : LrScheduler(optimizer)
{
    private readonly int _tMax = Positive(tMax, nameof(tMax));
    private readonly double _etaMin = etaMin;

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => Cosine(BaseLearningRate, _etaMin, (double)epoch / _tMax);

    /// <summary>Cosine interpolation from <paramref name="start"/> (fraction 0) to <paramref name="end"/> (fraction 1).</summary>
    internal static double Cosine(double start, double end, double fraction) => end + (start - end) * (1 + Math.Cos(Math.PI * fraction)) / 2;
}

/// <summary>lr·(start + (end − start)·min(epoch, total)/total) (LinearLR; a linear warm-up when the start factor is below 1).</summary>
public sealed class LinearLr(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : LrScheduler(optimizer)
{
    private readonly int _total = Positive(totalIters, nameof(totalIters));
    private readonly (double Start, double End) _factors = (startFactor, endFactor);

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => BaseLearningRate * (_factors.Start + (_factors.End - _factors.Start) * Math.Min(epoch, _total) / _total);
}

/// <summary>Linear warm-up over <c>warmupSteps</c> (step s gets (s+1)/warmup), then cosine decay to <c>minLr</c> at <c>totalSteps</c> (the usual transformer schedule).</summary>
public sealed class WarmupCosineLr(Optimizer optimizer, int warmupSteps, int totalSteps, double minLr = 0) : LrScheduler(optimizer)
{
    private readonly (int Warmup, int Decay) _steps = warmupSteps >= 0 && totalSteps > warmupSteps
        ? (warmupSteps, totalSteps - warmupSteps)
        : throw new ArgumentException("warm-up steps must be non-negative and fewer than the total steps");
    private readonly double _min = minLr;

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => epoch < _steps.Warmup
        ? BaseLearningRate * (epoch + 1) / _steps.Warmup
        : CosineAnnealingLr.Cosine(BaseLearningRate, _min, Math.Min(1.0, (double)(epoch - _steps.Warmup) / _steps.Decay));
}

/// <summary>The one-cycle policy with cosine annealing, two phases (OneCycleLR defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4).</summary>
public sealed class OneCycleLr(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4)
    : LrScheduler(optimizer)
{
    private readonly (double Initial, double Max, double Final) _rates = (maxLr / divFactor, maxLr, maxLr / divFactor / finalDivFactor);
    private readonly (double Peak, double Last) _phases = totalSteps > 1
        ? (pctStart * totalSteps - 1, totalSteps - 1)
        : throw new ArgumentOutOfRangeException(nameof(totalSteps), "one-cycle needs at least two steps");

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => epoch <= _phases.Peak
        ? CosineAnnealingLr.Cosine(_rates.Initial, _rates.Max, _phases.Peak <= 0 ? 1 : epoch / _phases.Peak)
        : CosineAnnealingLr.Cosine(_rates.Max, _rates.Final, (epoch - _phases.Peak) / (_phases.Last - _phases.Peak));
}
