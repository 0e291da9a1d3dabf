using Moxing.Nn.Optim;

namespace Moxing.Nn.Schedules;

/// <summary>Sets an optimizer's learning rate from the step count (torch.optim.lr_scheduler closed forms); call <see cref="Step"/> after each optimizer step or epoch.</summary>
public abstract class LrScheduler
{
    private readonly Optimizer _optimizer;

    /// <summary>Attaches to <paramref name="optimizer"/> and sets the rate for step 0.</summary>
    protected LrScheduler(Optimizer optimizer)
    {
        _optimizer = optimizer;
        BaseLearningRate = optimizer.InitialLearningRate;
    }

    /// <summary>The optimizer's initial learning rate.</summary>
    protected double BaseLearningRate { get; }

    /// <summary>Scheduler steps taken.</summary>
    public int Epoch { get; private set; }

    /// <summary>The learning rate at scheduler step <paramref name="epoch"/>.</summary>
    public abstract double LearningRateAt(int epoch);

    /// <summary>Applies step 0's rate; derived constructors call this once their fields are set.</summary>
    protected void Start() => _optimizer.LearningRate = LearningRateAt(0);

    /// <summary>Advances one step and updates the optimizer's rate.</summary>
    public void Step() => _optimizer.LearningRate = LearningRateAt(++Epoch);
}

/// <summary>lr·γ^⌊epoch/stepSize⌋ (StepLR).</summary>
public sealed class StepLr : LrScheduler
{
    private readonly int _stepSize;
    private readonly double _gamma;

    /// <summary>Creates the schedule.</summary>
    public StepLr(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        if (stepSize <= 0) throw new ArgumentOutOfRangeException(nameof(stepSize), "step size must be positive");
        (_stepSize, _gamma) = (stepSize, gamma);
        Start();
    }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => BaseLearningRate * Math.Pow(_gamma, epoch / _stepSize);
}

/// <summary>η_min + (lr − η_min)·(1 + cos(π·epoch/T_max))/2 (CosineAnnealingLR).</summary>
public sealed class CosineAnnealingLr : LrScheduler
{
    private readonly int _tMax;
    private readonly double _etaMin;

    /// <summary>Creates the schedule.</summary>
    public CosineAnnealingLr(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        if (tMax <= 0) throw new ArgumentOutOfRangeException(nameof(tMax), "T_max must be positive");
        (_tMax, _etaMin) = (tMax, etaMin);
        Start();
    }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => Cosine(BaseLearningRate, _etaMin, (double)epoch / _tMax);

    /// <summary>Cosine interpolation from <paramref name="start"/> (fraction 0) to <paramref name="end"/> (fraction 1).</summary>
    internal static double Cosine(double start, double end, double fraction) => end + (start - end) * (1 + Math.Cos(Math.PI * fraction)) / 2;
}

/// <summary>lr·(start + (end − start)·min(epoch, total)/total) (LinearLR; a linear warm-up with the defaults of a start factor below 1).</summary>
public sealed class LinearLr : LrScheduler
{
    private readonly double _start, _end;
    private readonly int _total;

    /// <summary>Creates the schedule.</summary>
    public LinearLr(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (totalIters <= 0) throw new ArgumentOutOfRangeException(nameof(totalIters), "total iterations must be positive");
        (_start, _end, _total) = (startFactor, endFactor, totalIters);
        Start();
    }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => BaseLearningRate * (_start + (_end - _start) * Math.Min(epoch, _total) / _total);
}

/// <summary>Linear warm-up from 0 over <c>warmupSteps</c>, then cosine decay to <c>minLr</c> at <c>totalSteps</c> (the usual transformer schedule).</summary>
public sealed class WarmupCosineLr : LrScheduler
{
    private readonly int _warmup, _total;
    private readonly double _min;

    /// <summary>Creates the schedule.</summary>
    public WarmupCosineLr(Optimizer optimizer, int warmupSteps, int totalSteps, double minLr = 0) : base(optimizer)
    {
        if (warmupSteps < 0 || totalSteps <= warmupSteps) throw new ArgumentException("warm-up steps must be non-negative and fewer than the total steps");
        (_warmup, _total, _min) = (warmupSteps, totalSteps, minLr);
        Start();
    }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => epoch < _warmup
        ? BaseLearningRate * (epoch + 1) / _warmup
        : CosineAnnealingLr.Cosine(BaseLearningRate, _min, Math.Min(1.0, (double)(epoch - _warmup) / (_total - _warmup)));
}

/// <summary>The one-cycle policy with cosine annealing, two phases (OneCycleLR defaults: pct_start 0.3, div_factor 25, final_div_factor 1e4).</summary>
public sealed class OneCycleLr : LrScheduler
{
    private readonly double _max, _initial, _final;
    private readonly double _peakStep, _lastStep;

    /// <summary>Creates the schedule.</summary>
    public OneCycleLr(Optimizer optimizer, double maxLr, int totalSteps, double pctStart = 0.3, double divFactor = 25, double finalDivFactor = 1e4) : base(optimizer)
    {
        if (totalSteps <= 1) throw new ArgumentOutOfRangeException(nameof(totalSteps), "one-cycle needs at least two steps");
        _max = maxLr;
        _initial = maxLr / divFactor;
        _final = _initial / finalDivFactor;
        _peakStep = pctStart * totalSteps - 1;
        _lastStep = totalSteps - 1;
        Start();
    }

    /// <inheritdoc />
    public override double LearningRateAt(int epoch) => epoch <= _peakStep
        ? CosineAnnealingLr.Cosine(_initial, _max, _peakStep <= 0 ? 1 : epoch / _peakStep)
        : CosineAnnealingLr.Cosine(_max, _final, (epoch - _peakStep) / (_lastStep - _peakStep));
}
