using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Tests;
using Moxing.Training.Distillation;
using Moxing.Training.Recipes;
using Moxing.Training.Tests.Pruning;
using Moxing.Training.Trainer;

namespace Moxing.Training.Tests.Distillation;

public class DistillationTests
{
    [Fact]
    public void DivergenceMatchesTheDefinitionAndIsZeroForEqualLogits()
    {
        float[] teacher = [2f, 0.5f, -1f, 0f, 0f, 3f];
        var student = new Tensor([1f, 1f, 0f, -2f, 0.5f, 1f], 2, 3).RequireGrad();
        const float t = 2f;
        double expected = 0;
        for (var r = 0; r < 2; r++)
        {
            var p = Softmax(teacher.AsSpan(r * 3, 3), t);
            var q = Softmax(student.Data.Slice(r * 3, 3), t);
            for (var c = 0; c < 3; c++) expected += p[c] * Math.Log(p[c] / q[c]);
        }
        var kl = DistillationObjective.Divergence(student, teacher, t);
        Assert.Equal(expected / 2, kl.Item(), 5);
        kl.Backward();
        Assert.Contains(student.Grad!.Data.ToArray(), g => g != 0f);
        Assert.Equal(0, DistillationObjective.Divergence(new Tensor(teacher, 2, 3), teacher, t).Item(), 6);
    }

    private static double[] Softmax(ReadOnlySpan<float> logits, float t)
    {
        var e = new double[logits.Length];
        for (var i = 0; i < e.Length; i++) e[i] = Math.Exp(logits[i] / t);
        var sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    [Fact]
    public void DistilledStudentFollowsTheTeacherBetterThanLabelsAlone()
    {
        using var dir = new TempFolder();
        var teacher = dir.File("teacher");
        Assert.True(TrainingRun.Start(RunFolderPrunerTests.Digits("type: lenet\n  channels: 8", 6), teacher).Train());
        const string student = """
            model:
              type: mlp
              hidden: [12]
            training:
              epochs: 6
              batch_size: 32
              optimizer: adam
              learning_rate: 0.003
            """;
        var labelsOnly = dir.File("labels-only");
        var plain = RecipeFile.Parse(student, "student");
        plain.Data = RecipeFile.Load(Path.Combine(teacher, "recipe.yaml")).Data;
        Assert.True(TrainingRun.Start(plain, labelsOnly).Train());

        var distilled = dir.File("distilled");
        var recipe = RecipeFile.Parse($"""
            distillation:
              teacher: {teacher}
              temperature: 2
              alpha: 0.5
            {student}
            """, "distill recipe");
        var run = TrainingRun.Start(recipe, distilled);
        Assert.IsType<DistillationObjective>(run.Trainer.Objective);
        Assert.True(run.Train());
        Assert.Equal(plain.Data.Path, run.Recipe.Data.Path);

        var withTeacher = TeacherAgreement.Measure(teacher, distilled, temperature: 2);
        var without = TeacherAgreement.Measure(teacher, labelsOnly, temperature: 2);
        Assert.Equal(359, withTeacher.Rows);
        Assert.True(withTeacher.Divergence < without.Divergence * 0.8, $"KL with teacher {withTeacher.Divergence}, labels only {without.Divergence}");
        var accuracy = TrainingRun.Evaluate(distilled, "test").Classification!.Accuracy;
        var baseline = TrainingRun.Evaluate(labelsOnly, "test").Classification!.Accuracy;
        Assert.True(accuracy >= baseline - 0.02, $"distilled {accuracy}, labels only {baseline}, KL {withTeacher.Divergence} vs {without.Divergence}");
        // The recipe keeps the distillation section, so a resumed run keeps learning from the teacher.
        Assert.IsType<DistillationObjective>(TrainingRun.Resume(distilled, epochs: 7).Trainer.Objective);
    }

    [Fact]
    public void MismatchedTeacherIsNamed()
    {
        using var dir = new TempFolder();
        var teacher = dir.File("iris");
        var iris = RecipeFile.Parse($"""
            data:
              path: {Fixtures.Path("data", "iris.csv")}
            model:
              type: mlp
              hidden: [8]
            training:
              epochs: 1
            """, "iris");
        Assert.True(TrainingRun.Start(iris, teacher).Train());
        var recipe = RunFolderPrunerTests.Digits("type: mlp\n  hidden: [8]", 1);
        recipe.Distillation = new DistillationRecipe { Teacher = teacher };
        var e = Assert.Throws<MoxingException>(() => TrainingRun.Start(recipe, dir.File("student")));
        Assert.Contains("3 classes", e.Message);
        recipe.Distillation = new DistillationRecipe { Teacher = dir.File("nothing") };
        Assert.Throws<MoxingException>(() => TrainingRun.Start(recipe, dir.File("student2")));
    }

    [Fact]
    public void GptStudentLearnsFromAGptTeacher()
    {
        using var dir = new TempFolder();
        var names = Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? "anna" : i % 3 == 1 ? "bob" : "otto");
        var path = dir.Write("names.txt", string.Join('\n', names));
        string Gpt(int dim, int epochs) => $"""
            seed: 1
            data:
              path: {path}
              block_size: 16
              stride: 8
            model:
              type: gpt
              dim: {dim}
              heads: 2
            training:
              epochs: {epochs}
              batch_size: 16
              optimizer: adamw
              learning_rate: 0.01
            """;
        var teacher = dir.File("teacher");
        Assert.True(TrainingRun.Start(RecipeFile.Parse(Gpt(16, 6), "teacher"), teacher).Train());
        var recipe = RecipeFile.Parse(Gpt(8, 4), "student");
        recipe.Distillation = new DistillationRecipe { Teacher = teacher, Temperature = 2, Alpha = 0.7f };
        var run = TrainingRun.Start(recipe, dir.File("student"));
        var objective = Assert.IsType<DistillationObjective>(run.Trainer.Objective);
        var divergences = new List<double>();
        Assert.True(run.Train(progress: _ => divergences.Add(objective.LastDivergence)));
        Assert.True(divergences[^1] < divergences[0] * 0.8, $"KL per token {divergences[0]} → {divergences[^1]}");
        var perplexity = run.Metrics.Evaluations["test"].Perplexity!.Value;
        // 7 symbols: uniform guessing has perplexity 8.
        Assert.True(perplexity < 4.0, $"student perplexity {perplexity}");
    }
}
