using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Commands;

/// <summary>`moxing distill RECIPE.yaml`: trains the recipe's student on a teacher's soft targets and the labels.</summary>
public sealed class DistillCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "distill";

    /// <inheritdoc />
    public string Summary => "train a small student from a teacher's soft targets (temperature, alpha) and the hard labels";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing distill RECIPE.yaml [-o RUN_DIR] [--teacher PATH] [--temperature T] [--alpha A] [train flags]
          RECIPE.yaml    a training recipe with a distillation section:
                           distillation: { teacher: runs/digits-cnn, temperature: 4, alpha: 0.7 }
                         the student's model and training sections; data and seed default to the teacher run's
          --teacher      a moxing train run folder, or for gpt students a model folder / GGUF file over the same vocabulary
          --temperature  softmax temperature of both distributions;  --alpha  weight of the soft-target loss
          loss = alpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha)·CE(labels); continue with moxing train --resume
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags => TrainCommand.RecipeFlags;

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var recipe = RecipeFile.Load(args.Required(0, "RECIPE.yaml"));
        var distillation = recipe.Distillation ??= new DistillationRecipe();
        if (args.Option("teacher") is { } teacher) distillation.Teacher = teacher;
        distillation.Temperature = args.Float(distillation.Temperature, "temperature");
        distillation.Alpha = args.Float(distillation.Alpha, "alpha");
        var epochs = args.Option("epochs") == null ? (int?)null : args.Int(0, "epochs");
        TrainCommand.ApplyFlags(recipe, args, epochs);
        var output = args.Option("o", "output") ?? Path.Combine("runs", recipe.Name);
        args.RejectUnknown();
        if (string.IsNullOrEmpty(distillation.Teacher)) throw new UsageException("the recipe needs distillation.teacher (or give --teacher)");
        var run = TrainingRun.Start(recipe, output);
        context.Out.WriteLine($"distilling {distillation.Teacher} into {run.Recipe.Model.Type} (T = {distillation.Temperature}, alpha = {distillation.Alpha})");
        return TrainCommand.Run(run, context);
    }
}
