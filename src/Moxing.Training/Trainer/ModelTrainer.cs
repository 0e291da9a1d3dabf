using System.Diagnostics;
using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Nn.Optim;
using Moxing.Nn.Schedules;
using Moxing.Training.Data;
using Moxing.Training.Metrics;
using Moxing.Training.Pruning;

namespace Moxing.Training.Trainer;

/// <summary>
/// Trains a model one epoch at a time (forward, loss, backward, clipping, optimizer and schedule steps) and
/// evaluates it on a split without recording a graph. Pruning masks, when given, are re-applied after every step
/// so pruned weights stay zero.
/// </summary>
public sealed class ModelTrainer(Layer model, Objective objective, Optimizer optimizer, LrScheduler? stepSchedule = null,
    LrScheduler? epochSchedule = null, double clipGradNorm = 0, PruningMasks? masks = null)
{
    /// <summary>The model trained.</summary>
    public Layer Model { get; } = model;

    /// <summary>The task's loss and metric.</summary>
    public Objective Objective { get; } = objective;

    /// <summary>The optimizer.</summary>
    public Optimizer Optimizer { get; } = optimizer;

    /// <summary>
    /// One pass over <paramref name="loader"/>'s epoch <paramref name="epoch"/> (0-based); returns the mean loss,
    /// the training accuracy (classification) and the throughput. Cancellation stops between batches.
    /// </summary>
    public (double Loss, double? Accuracy, double SamplesPerSecond, double Seconds) TrainEpoch(DataLoader loader, int epoch, int epochs,
        CancellationToken cancellation = default, Action<BatchProgress>? progress = null)
    {
        Model.Train();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        long examples = 0, labels = 0, correct = 0;
        var b = 0;
        foreach (var batch in loader.Epoch(epoch))
        {
            cancellation.ThrowIfCancellationRequested();
            Optimizer.ZeroGrad();
            var output = Model.Forward(new Tensor(batch.Inputs, batch.InputShape));
            var loss = Objective.TrainingLoss(output, batch);
            loss.Backward();
            if (clipGradNorm > 0) GradientClipping.ClipGradNorm(Optimizer.Parameters, clipGradNorm);
            var rate = Optimizer.LearningRate;
            Optimizer.Step();
            masks?.Apply(Model);
            stepSchedule?.Step();
            lossSum += loss.Item() * batch.Size;
            examples += batch.Size;
            if (batch.Labels != null)
            {
                correct += Objective.Correct(output, batch);
                labels += batch.Labels.Length;
            }
            b++;
            progress?.Invoke(new BatchProgress(epoch + 1, epochs, b, loader.BatchCount, lossSum / examples,
                labels > 0 ? (double)correct / labels : null, examples / clock.Elapsed.TotalSeconds, rate));
        }
        epochSchedule?.Step();
        var seconds = clock.Elapsed.TotalSeconds;
        return (lossSum / Math.Max(1, examples), labels > 0 ? (double)correct / labels : null, examples / seconds, seconds);
    }

    /// <summary>Scores the model on <paramref name="data"/> in evaluation mode (dropout off, batch norm running statistics).</summary>
    public Evaluation Evaluate(Dataset data, string split, int batchSize, CancellationToken cancellation = default) =>
        Evaluate(Model, Objective, data, split, batchSize, cancellation);

    /// <summary>Scores <paramref name="model"/> on <paramref name="data"/> in evaluation mode, then restores its mode.</summary>
    public static Evaluation Evaluate(Layer model, Objective objective, Dataset data, string split, int batchSize, CancellationToken cancellation = default)
    {
        var wasTraining = model.Training;
        model.Eval();
        try
        {
            using var _ = GradMode.NoGrad();
            double lossSum = 0;
            var predictedClasses = new List<int>();
            var predictedValues = new List<float>();
            foreach (var batch in new DataLoader(data, batchSize).Epoch(0))
            {
                cancellation.ThrowIfCancellationRequested();
                var output = model.Forward(new Tensor(batch.Inputs, batch.InputShape));
                lossSum += objective.Loss(output, batch).Item() * batch.Size;
                if (objective.Task == TrainingTask.Regression) predictedValues.AddRange(output.Data.ToArray());
                else predictedClasses.AddRange(Objective.ArgMax(output.Data, output.Shape[^1]));
            }
            var loss = lossSum / Math.Max(1, data.Count);
            var targets = data.Targets;
            return objective.Task switch
            {
                TrainingTask.Classification => new Evaluation(split, loss, data.Count,
                    new ClassificationReport(predictedClasses.ToArray(), targets.Labels, targets.ClassNames), null, null),
                TrainingTask.Regression => new Evaluation(split, loss, data.Count, null,
                    new RegressionReport(predictedValues.ToArray(), targets.Values), null),
                _ => new Evaluation(split, loss, data.Count, null, null, Perplexity.FromLoss(loss)),
            };
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
