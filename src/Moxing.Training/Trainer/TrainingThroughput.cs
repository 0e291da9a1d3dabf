using System.Diagnostics;
using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Nn.Optim;
using Moxing.Training.Data;
using Moxing.Training.Models;
using Moxing.Training.Recipes;

namespace Moxing.Training.Trainer;

/// <summary>
/// Training speed of one model: per repetition of full steps (forward, loss, backward, optimizer),
/// the samples per second and the process's user CPU milliseconds per step (all threads; less sensitive than wall time to other load).
/// </summary>
/// <param name="Model">Short name, as scripts/bench-train-pytorch.py names the same model.</param>
/// <param name="Description">Architecture and input shape.</param>
/// <param name="Parameters">Trainable parameter count.</param>
/// <param name="BatchSize">Samples per step.</param>
/// <param name="Steps">Timed steps per repetition.</param>
/// <param name="Rates">Samples per second of each repetition.</param>
/// <param name="UserCpuMsPerStep">User CPU milliseconds per step of each repetition.</param>
/// <param name="WarmupSteps">Untimed steps run first.</param>
public sealed record ThroughputResult(string Model, string Description, long Parameters, int BatchSize, int Steps,
    IReadOnlyList<double> Rates, IReadOnlyList<double> UserCpuMsPerStep, int WarmupSteps);

/// <summary>
/// `moxing bench train`: times training steps of the documented models (the digits CNN of docs/recipes/digits-cnn.yaml and the
/// names GPT of docs/recipes/names-gpt.yaml) on random batches of their real shapes, so no data set is needed.
/// </summary>
public static class TrainingThroughput
{
    /// <summary>
    /// CPU seconds of untimed steps before the timing starts: the JIT recompiles hot methods optimized only after they have run
    /// a while (a 1-step warm-up timed the CNN at a quarter of its speed); time rather than a step count, as step times differ
    /// 30-fold, and CPU time rather than wall time, as other load on the machine stretches the wall time the JIT needs.
    /// </summary>
    public const double DefaultWarmupSeconds = 2;

    /// <summary>Both standard models: <paramref name="steps"/> timed steps per repetition, after <paramref name="warmup"/> of CPU time in untimed steps.</summary>
    public static IReadOnlyList<ThroughputResult> Standard(int steps, int repetitions, TimeSpan warmup)
    {
        var rng = new Random(1);
        var cnn = ModelZoo.Create(new ModelRecipe { Type = "lenet", Channels = 16 },
            new ModelInput([1, 8, 8], InputKind.Dense, 0, 10, TrainingTask.Classification), rng);
        var gpt = ModelZoo.Create(new ModelRecipe { Type = "gpt", Dim = 64, Layers = 2, Heads = 4, Dropout = 0.1f },
            new ModelInput([48], InputKind.Tokens, 30, 30, TrainingTask.LanguageModel), rng);
        return
        [
            Measure("digits-cnn", "lenet, 1×8×8", cnn, TrainingTask.Classification, new Adam(cnn.Parameters(), 0.003),
                () => new Batch(Random(rng, 32 * 64, 1f), [32, 1, 8, 8], Labels(rng, 32, 10), null, []), steps, repetitions, warmup),
            Measure("names-gpt", "d64, 2 layers, 48 tokens", gpt, TrainingTask.LanguageModel, new AdamW(gpt.Parameters(), 0.003),
                () => new Batch(Array.ConvertAll(Labels(rng, 32 * 48, 30), i => (float)i), [32, 48], Labels(rng, 32 * 48, 30), null, []), steps, repetitions, warmup),
        ];
    }

    /// <summary>
    /// Times <paramref name="steps"/> training steps of <paramref name="model"/> per repetition on batches from <paramref name="batches"/>,
    /// after untimed steps until the process has spent <paramref name="warmup"/> of CPU time in them (at least one step).
    /// </summary>
    public static ThroughputResult Measure(string name, string description, Layer model, TrainingTask task, Optimizer optimizer, Func<Batch> batches,
        int steps, int repetitions, TimeSpan warmup)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmup, TimeSpan.Zero);
        var objective = new Objective(task);
        var prepared = Enumerable.Range(0, steps).Select(_ => batches()).ToArray();
        model.Train();
        var warmupEnd = Environment.CpuUsage.TotalTime + warmup;
        var step = 0;
        do Step(model, objective, optimizer, prepared[step++ % steps]);
        while (Environment.CpuUsage.TotalTime < warmupEnd);
        var rates = new double[repetitions];
        var cpu = new double[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            var user = Environment.CpuUsage.UserTime;
            var clock = Stopwatch.StartNew();
            foreach (var batch in prepared) Step(model, objective, optimizer, batch);
            rates[r] = steps * prepared[0].Size / clock.Elapsed.TotalSeconds;
            cpu[r] = (Environment.CpuUsage.UserTime - user).TotalMilliseconds / steps;
        }
        return new ThroughputResult(name, description, model.ParameterCount(), prepared[0].Size, steps, rates, cpu, step);
    }

    private static void Step(Layer model, Objective objective, Optimizer optimizer, Batch batch)
    {
        optimizer.ZeroGrad();
        var loss = objective.Loss(model.Forward(new Tensor(batch.Inputs, batch.InputShape)), batch);
        loss.Backward();
        optimizer.Step();
    }

    private static float[] Random(Random rng, int count, float scale)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return values;
    }

    private static int[] Labels(Random rng, int count, int classes)
    {
        var labels = new int[count];
        for (var i = 0; i < count; i++) labels[i] = rng.Next(classes);
        return labels;
    }
}
