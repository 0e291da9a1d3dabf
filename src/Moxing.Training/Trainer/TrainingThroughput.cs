using System.Diagnostics;
using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Nn.Optim;
using Moxing.Training.Data;
using Moxing.Training.Models;
using Moxing.Training.Recipes;

namespace Moxing.Training.Trainer;

/// <summary>Training speed of one model: samples per second over full steps (forward, loss, backward, optimizer), mean ± sample deviation.</summary>
public sealed record ThroughputResult(string Model, long Parameters, int BatchSize, int Steps, double SamplesPerSecond, double StdDev);

/// <summary>
/// `moxing bench train`: times training steps of the documented models (the digits CNN of docs/recipes/digits-cnn.yaml and the
/// names GPT of docs/recipes/names-gpt.yaml) on random batches of their real shapes, so no data set is needed.
/// </summary>
public static class TrainingThroughput
{
    /// <summary>Both standard models: <paramref name="steps"/> timed steps per repetition, after one warm-up step.</summary>
    public static IReadOnlyList<ThroughputResult> Standard(int steps, int repetitions)
    {
        var rng = new Random(1);
        var cnn = ModelZoo.Create(new ModelRecipe { Type = "lenet", Channels = 16 },
            new ModelInput([1, 8, 8], InputKind.Dense, 0, 10, TrainingTask.Classification), rng);
        var gpt = ModelZoo.Create(new ModelRecipe { Type = "gpt", Dim = 64, Layers = 2, Heads = 4, Dropout = 0.1f },
            new ModelInput([48], InputKind.Tokens, 30, 30, TrainingTask.LanguageModel), rng);
        return
        [
            Measure("digits-cnn (lenet, 1×8×8)", cnn, TrainingTask.Classification, new Adam(cnn.Parameters(), 0.003),
                () => new Batch(Random(rng, 32 * 64, 1f), [32, 1, 8, 8], Labels(rng, 32, 10), null, []), steps, repetitions),
            Measure("names-gpt (d64, 2 layers, 48 tokens)", gpt, TrainingTask.LanguageModel, new AdamW(gpt.Parameters(), 0.003),
                () => new Batch(Array.ConvertAll(Labels(rng, 32 * 48, 30), i => (float)i), [32, 48], Labels(rng, 32 * 48, 30), null, []), steps, repetitions),
        ];
    }

    /// <summary>Times <paramref name="steps"/> training steps of <paramref name="model"/> per repetition on batches from <paramref name="batches"/>.</summary>
    public static ThroughputResult Measure(string name, Layer model, TrainingTask task, Optimizer optimizer, Func<Batch> batches, int steps, int repetitions)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(repetitions);
        var objective = new Objective(task);
        var prepared = Enumerable.Range(0, steps).Select(_ => batches()).ToArray();
        model.Train();
        Step(model, objective, optimizer, prepared[0]);
        var rates = new double[repetitions];
        for (var r = 0; r < repetitions; r++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var batch in prepared) Step(model, objective, optimizer, batch);
            rates[r] = steps * prepared[0].Size / clock.Elapsed.TotalSeconds;
        }
        var mean = rates.Average();
        var deviation = repetitions > 1 ? Math.Sqrt(rates.Sum(x => (x - mean) * (x - mean)) / (repetitions - 1)) : 0;
        return new ThroughputResult(name, model.ParameterCount(), prepared[0].Size, steps, mean, deviation);
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
