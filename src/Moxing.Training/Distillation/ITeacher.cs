using Moxing.Training.Data;

namespace Moxing.Training.Distillation;

/// <summary>A model whose logits a student learns from.</summary>
public interface ITeacher
{
    /// <summary>Logits for the batch, laid out as the student's output ([B, classes] or [B, T, vocabulary]), without recording a graph.</summary>
    float[] Logits(Batch batch);

    /// <summary>What the teacher is (for error messages).</summary>
    string Description { get; }
}
