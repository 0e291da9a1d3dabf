namespace Moxing.Training.Trainer;

/// <summary>Where training stands after a batch: running means of the epoch so far and the throughput.</summary>
public sealed record BatchProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double? Accuracy, double SamplesPerSecond, double LearningRate);
