using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Training.Data;
using Moxing.Training.Trainer;

namespace Moxing.Training.Distillation;

/// <summary>How closely a student run follows a teacher run on a split: mean KL(teacher ‖ student) at a temperature and top-1 agreement.</summary>
public sealed record TeacherAgreement(double Divergence, double TopOneAgreement, int Rows)
{
    /// <summary>Compares the best weights of two runs over the same data on <paramref name="split"/> (test, validation or train).</summary>
    public static TeacherAgreement Measure(string teacherRun, string studentRun, string split = "test", float temperature = 1f)
    {
        var (_, _, teacher) = TrainingRun.Reopen(teacherRun);
        var (recipe, data, student) = TrainingRun.Reopen(studentRun);
        var set = split switch
        {
            "test" => data.Splits.Test,
            "validation" => data.Splits.Validation,
            "train" => data.Splits.Train,
            _ => throw new MoxingException($"unknown split '{split}' (expected train, validation or test)"),
        };
        teacher.Eval();
        student.Eval();
        using var _ = GradMode.NoGrad();
        double divergence = 0;
        long rows = 0, agree = 0;
        foreach (var batch in new DataLoader(set, recipe.Training.BatchSize).Epoch(0))
        {
            var input = new Tensor(batch.Inputs, batch.InputShape);
            var s = student.Forward(input);
            var t = teacher.Forward(input).Data;
            var classes = s.Shape[^1];
            if (t.Length != s.Count) throw new MoxingException($"{teacherRun} and {studentRun} do not predict the same classes or tokens");
            var n = s.Count / classes;
            divergence += DistillationObjective.Divergence(s.Reshape(n, classes), t, temperature).Item() * n;
            var ps = Objective.ArgMax(s.Data, classes);
            var pt = Objective.ArgMax(t, classes);
            for (var i = 0; i < n; i++) if (ps[i] == pt[i]) agree++;
            rows += n;
        }
        return new TeacherAgreement(divergence / Math.Max(1, rows), (double)agree / Math.Max(1, rows), (int)rows);
    }
}
