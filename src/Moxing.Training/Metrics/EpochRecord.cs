namespace Moxing.Training.Metrics;

/// <summary>What one epoch of training measured; the metric is accuracy, R² or perplexity depending on the task.</summary>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double? TrainMetric,
    double? ValidationLoss,
    double? ValidationMetric,
    double LearningRate,
    double Seconds,
    double SamplesPerSecond);
