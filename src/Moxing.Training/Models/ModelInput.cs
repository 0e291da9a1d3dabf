using Moxing.Training.Data;
using Moxing.Training.Trainer;

namespace Moxing.Training.Models;

/// <summary>What a zoo model is built for: the example shape and kind, and the size of its output.</summary>
public sealed record ModelInput(int[] ExampleShape, InputKind Kind, int VocabularySize, int Outputs, TrainingTask Task)
{
    /// <summary>Values per example.</summary>
    public int Features => ExampleShape.Aggregate(1, (a, b) => a * b);
}
