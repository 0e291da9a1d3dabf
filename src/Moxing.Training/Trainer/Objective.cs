using Moxing.Core.Autograd;
using Moxing.Training.Data;

namespace Moxing.Training.Trainer;

/// <summary>The loss of a task and how its outputs turn into predictions.</summary>
public class Objective(TrainingTask task, float labelSmoothing = 0f)
{
    /// <summary>The task.</summary>
    public TrainingTask Task { get; } = task;

    /// <summary>Cross-entropy label smoothing (classification and language models).</summary>
    public float LabelSmoothing { get; } = labelSmoothing;

    /// <summary>Name of the headline metric.</summary>
    public string MetricName => Task switch
    {
        TrainingTask.Classification => "accuracy",
        TrainingTask.Regression => "r2",
        _ => "perplexity",
    };

    /// <summary>The mean loss of <paramref name="output"/> against the batch's labels or targets.</summary>
    public Tensor Loss(Tensor output, Batch batch)
    {
        if (Task == TrainingTask.Regression)
        {
            var values = batch.Values ?? throw new InvalidOperationException("a regression batch needs target values");
            return Tensor.MseLoss(output.Reshape(values.Length), new Tensor(values, values.Length));
        }
        var labels = batch.Labels ?? throw new InvalidOperationException("a classification batch needs labels");
        var classes = output.Shape[^1];
        return Tensor.CrossEntropy(output.Reshape(labels.Length, classes), labels, labelSmoothing: LabelSmoothing);
    }

    /// <summary>The loss minimized in training; the task's loss unless a subclass adds to it (distillation).</summary>
    public virtual Tensor TrainingLoss(Tensor output, Batch batch) => Loss(output, batch);

    /// <summary>Number of correct predictions in the batch (classes and next tokens), or 0 for regression.</summary>
    public int Correct(Tensor output, Batch batch)
    {
        if (batch.Labels is not { } labels) return 0;
        var predicted = ArgMax(output.Data, output.Shape[^1]);
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
            if (predicted[i] == labels[i]) correct++;
        return correct;
    }

    /// <summary>Index of the largest value of each row of <paramref name="width"/> values.</summary>
    public static int[] ArgMax(ReadOnlySpan<float> values, int width)
    {
        var result = new int[values.Length / width];
        for (var r = 0; r < result.Length; r++)
            result[r] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(values.Slice(r * width, width));
        return result;
    }
}
