using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Training.Data;

namespace Moxing.Training.Distillation;

/// <summary>The best weights of a `moxing train` run as a teacher, in evaluation mode.</summary>
public sealed class RunTeacher(Layer model, string folder) : ITeacher
{
    /// <inheritdoc />
    public string Description => $"the run {folder}";

    /// <inheritdoc />
    public float[] Logits(Batch batch)
    {
        model.Eval();
        using var _ = GradMode.NoGrad();
        return model.Forward(new Tensor(batch.Inputs, batch.InputShape)).Data.ToArray();
    }
}
