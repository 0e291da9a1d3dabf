using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Nn.Optim;
using Moxing.Nn.Schedules;

namespace Moxing.Training.Recipes;

/// <summary>The optimizer and learning-rate schedules a recipe's training section names.</summary>
public sealed record OptimizerSetup(Optimizer Optimizer, LrScheduler? StepSchedule, LrScheduler? EpochSchedule)
{
    /// <summary>Builds them for <paramref name="parameters"/>, with <paramref name="batchesPerEpoch"/> to size per-batch schedules.</summary>
    public static OptimizerSetup Create(TrainingRecipe training, IEnumerable<Tensor> parameters, int batchesPerEpoch)
    {
        var lr = training.LearningRate;
        Optimizer optimizer = training.Optimizer.ToLowerInvariant() switch
        {
            "sgd" => new Sgd(parameters, lr, training.Momentum, weightDecay: training.WeightDecay, nesterov: training.Nesterov),
            "rmsprop" => new RmsProp(parameters, lr, weightDecay: training.WeightDecay, momentum: training.Momentum),
            "adagrad" => new Adagrad(parameters, lr, weightDecay: training.WeightDecay),
            "adam" => new Adam(parameters, lr, weightDecay: training.WeightDecay),
            "adamw" => new AdamW(parameters, lr, weightDecay: training.WeightDecay),
            _ => throw new MoxingException($"unknown training.optimizer '{training.Optimizer}' (expected sgd, rmsprop, adagrad, adam or adamw)"),
        };
        var totalSteps = Math.Max(1, training.Epochs * batchesPerEpoch);
        return training.Schedule.ToLowerInvariant() switch
        {
            "none" or "" or "constant" => new(optimizer, null, null),
            "step" => new(optimizer, null, new StepLr(optimizer, training.StepSize, training.Gamma)),
            "cosine" => new(optimizer, new CosineAnnealingLr(optimizer, totalSteps), null),
            "warmup-cosine" => new(optimizer, new WarmupCosineLr(optimizer, Math.Min(training.WarmupSteps, totalSteps - 1), totalSteps), null),
            "onecycle" or "one-cycle" => new(optimizer, new OneCycleLr(optimizer, lr, totalSteps), null),
            _ => throw new MoxingException($"unknown training.schedule '{training.Schedule}' (expected none, step, cosine, warmup-cosine or onecycle)"),
        };
    }

    /// <summary>Advances the schedules past <paramref name="epochs"/> finished epochs (when a run resumes).</summary>
    public void FastForward(int epochs, int batchesPerEpoch)
    {
        for (var i = 0; i < epochs * batchesPerEpoch; i++) StepSchedule?.Step();
        for (var i = 0; i < epochs; i++) EpochSchedule?.Step();
    }
}
