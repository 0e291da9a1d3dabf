using System.Globalization;
using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Training.Data;
using Moxing.Training.Trainer;

namespace Moxing.Training.Distillation;

/// <summary>
/// Knowledge distillation: alpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha)·CE(labels), the KL
/// averaged over examples (or token positions). Teacher logits are computed without a graph and, when the
/// training batches are not augmented, kept per example so each is computed once.
/// </summary>
public sealed class DistillationObjective : Objective
{
    private readonly ITeacher _teacher;
    private readonly float _temperature, _alpha;
    private readonly Dictionary<int, float[]>? _cache;

    /// <summary>Creates the objective; <paramref name="cache"/> keeps teacher logits per example index.</summary>
    public DistillationObjective(TrainingTask task, float labelSmoothing, ITeacher teacher, float temperature, float alpha, bool cache)
        : base(task, labelSmoothing)
    {
        if (task == TrainingTask.Regression) throw new MoxingException("distillation needs a classifier or a language model (soft targets over classes or tokens)");
        if (!(temperature > 0)) throw new MoxingException($"distillation.temperature must be positive, got {temperature.ToString(CultureInfo.InvariantCulture)}");
        if (!(alpha >= 0 && alpha <= 1)) throw new MoxingException($"distillation.alpha must be within 0..1, got {alpha.ToString(CultureInfo.InvariantCulture)}");
        (_teacher, _temperature, _alpha) = (teacher, temperature, alpha);
        _cache = cache ? [] : null;
    }

    /// <summary>Mean KL divergence of the last training batch (at temperature T).</summary>
    public double LastDivergence { get; private set; }

    /// <inheritdoc />
    public override Tensor TrainingLoss(Tensor output, Batch batch)
    {
        var hard = Loss(output, batch);
        var classes = output.Shape[^1];
        var teacher = TeacherLogits(batch);
        if (teacher.Length != output.Count)
            throw new MoxingException($"{_teacher.Description} gives {teacher.Length / Math.Max(1, output.Count / classes)} logits per position, the student {classes}: teacher and student must share the classes or vocabulary");
        var rows = output.Count / classes;
        var divergence = Divergence(output.Reshape(rows, classes), teacher, _temperature);
        LastDivergence = divergence.Item();
        return divergence * (_alpha * _temperature * _temperature) + hard * (1f - _alpha);
    }

    /// <summary>KL(softmax(teacher/T) ‖ softmax(student/T)) averaged over the rows of <paramref name="student"/> [rows, classes]; differentiable in the student.</summary>
    public static Tensor Divergence(Tensor student, ReadOnlySpan<float> teacher, float temperature)
    {
        int rows = student.Shape[0], classes = student.Shape[1];
        var target = new float[teacher.Length];
        double entropy = 0;
        for (var r = 0; r < rows; r++)
        {
            var logits = teacher.Slice(r * classes, classes);
            var max = float.NegativeInfinity;
            foreach (var v in logits) max = MathF.Max(max, v);
            double sum = 0;
            for (var c = 0; c < classes; c++) sum += Math.Exp((logits[c] - max) / temperature);
            var logSum = Math.Log(sum);
            for (var c = 0; c < classes; c++)
            {
                var logP = (logits[c] - max) / temperature - logSum;
                var p = Math.Exp(logP);
                target[r * classes + c] = (float)p;
                if (p > 0) entropy += p * logP;
            }
        }
        // Σ p·log p is a constant of the teacher; only −Σ p·log q carries the student's gradient.
        var cross = (new Tensor(target, rows, classes) * (student * (1f / temperature)).LogSoftmax(-1)).Sum();
        return (cross * -1f + (float)entropy) * (1f / rows);
    }

    private float[] TeacherLogits(Batch batch)
    {
        if (_cache == null) return _teacher.Logits(batch);
        var missing = false;
        foreach (var i in batch.Indices) missing |= !_cache.ContainsKey(i);
        if (missing)
        {
            var computed = _teacher.Logits(batch);
            var per = computed.Length / batch.Size;
            for (var b = 0; b < batch.Size; b++) _cache[batch.Indices[b]] = computed.AsSpan(b * per, per).ToArray();
            return computed;
        }
        var width = _cache[batch.Indices[0]].Length;
        var logits = new float[width * batch.Size];
        for (var b = 0; b < batch.Size; b++) _cache[batch.Indices[b]].CopyTo(logits, b * width);
        return logits;
    }
}
