using System.Diagnostics;
using System.Globalization;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Nn.Modules;
using Moxing.Training.Data;
using Moxing.Training.Data.Text;
using Moxing.Training.Distillation;
using Moxing.Training.Metrics;
using Moxing.Training.Models;
using Moxing.Training.Pruning;
using Moxing.Training.Quantization;
using Moxing.Training.Recipes;

namespace Moxing.Training.Trainer;

/// <summary>
/// A training run in a folder: builds data and model from a recipe, trains epoch by epoch with validation, early
/// stopping and a checkpoint (safetensors + recipe + state) after every epoch, resumes from the last checkpoint,
/// and finishes with the test evaluation, metrics.json/metrics.csv and curve plots. Cancellation (Ctrl+C) saves a
/// checkpoint of the last finished epoch's state and the metrics so far before it returns.
/// </summary>
public sealed class TrainingRun
{
    private readonly OptimizerSetup _optimizer;
    private readonly DataLoader _loader;
    private RunState _state;

    private TrainingRun(Recipe recipe, RunFolder folder, PreparedData data, Layer model, RunMetrics metrics, RunState state)
    {
        Recipe = recipe;
        Folder = folder;
        Data = data;
        Model = model;
        Metrics = metrics;
        _state = state;
        _loader = new DataLoader(data.Splits.Train, recipe.Training.BatchSize, shuffle: true, seed: recipe.Seed, data.Augmentations);
        _optimizer = OptimizerSetup.Create(recipe.Training, model.Parameters(), _loader.BatchCount);
        _optimizer.FastForward(state.CompletedEpochs, _loader.BatchCount);
        // A pruned run keeps its zeros through fine-tuning.
        var masks = PruningMasks.LoadFrom(folder.Path);
        masks?.Apply(model);
        // Runs checkpointed before optimizer state was saved resume with fresh moments.
        if (state.CompletedEpochs > 0 && File.Exists(folder.OptimizerState)) _optimizer.Optimizer.LoadState(folder.OptimizerState);
        var objective = recipe.Distillation != null ? Teachers.Objective(recipe, data) : new Objective(data.Task, recipe.Training.LabelSmoothing);
        Trainer = new ModelTrainer(model, objective, _optimizer.Optimizer,
            _optimizer.StepSchedule, _optimizer.EpochSchedule, recipe.Training.ClipGradNorm, masks);
    }

    /// <summary>The recipe.</summary>
    public Recipe Recipe { get; }

    /// <summary>Where the run's files live.</summary>
    public RunFolder Folder { get; }

    /// <summary>The prepared splits.</summary>
    public PreparedData Data { get; }

    /// <summary>The network.</summary>
    public Layer Model { get; }

    /// <summary>The measurements so far.</summary>
    public RunMetrics Metrics { get; }

    /// <summary>The epoch loop's trainer.</summary>
    public ModelTrainer Trainer { get; }

    /// <summary>Epochs finished (including those of earlier sessions of a resumed run).</summary>
    public int CompletedEpochs => _state.CompletedEpochs;

    /// <summary>
    /// Starts a new run of <paramref name="recipe"/> in <paramref name="folder"/> (which must not hold a run yet);
    /// <paramref name="init"/> names a run folder (e.g. a pruned one) whose weights, and pruning masks, the run starts from.
    /// </summary>
    public static TrainingRun Start(Recipe recipe, string folder, string? init = null)
    {
        var run = new RunFolder(folder);
        if (File.Exists(run.State)) throw new MoxingException($"{folder} already holds a run; use --resume to continue it or choose another --output");
        Teachers.CompleteRecipe(recipe);
        AbsolutePaths(recipe.Data);
        var data = PreparedData.Load(recipe.Data, recipe.Seed);
        var model = Build(recipe, data);
        var initMasks = init != null ? InitializeFrom(model, init) : null;
        Directory.CreateDirectory(folder);
        initMasks?.Save(System.IO.Path.Combine(folder, PruningMasks.FileName));
        RecipeFile.Save(recipe, run.Recipe);
        if (data.Encoder is TokenVocabulary vocabulary) vocabulary.Save(run.Vocabulary);
        return new TrainingRun(recipe, run, data, model, new RunMetrics(new Objective(data.Task).MetricName), new RunState(0, null, 0, 0, false));
    }

    private static PruningMasks? InitializeFrom(Layer model, string init)
    {
        model.Load(WeightsOf(init));
        return PruningMasks.LoadFrom(init);
    }

    // The best weights of a run (lowest validation loss), else its last checkpoint.
    internal static string WeightsOf(string folder)
    {
        var run = new RunFolder(folder);
        return File.Exists(run.Best) ? run.Best : File.Exists(run.Checkpoint) ? run.Checkpoint
            : throw new MoxingException($"{folder} has no checkpoint (model.safetensors) to start from");
    }

    // The saved recipe must work from any directory, so `moxing eval` and `--resume` find the data.
    private static void AbsolutePaths(DataRecipe data)
    {
        static string Full(string p) => File.Exists(p) ? Path.GetFullPath(p) : p;
        data.Path = string.Join(",", data.Path.Split(',', StringSplitOptions.TrimEntries).Select(Full));
        if (data.Labels != null) data.Labels = Full(data.Labels);
        data.Tokenizer = Full(data.Tokenizer);
    }

    /// <summary>Reopens the run in <paramref name="folder"/> at its last checkpoint; <paramref name="epochs"/> overrides the recipe's epoch count.</summary>
    public static TrainingRun Resume(string folder, int? epochs = null)
    {
        var run = new RunFolder(folder);
        var state = RunState.Load(run.State);
        var recipe = RecipeFile.Load(run.Recipe);
        if (epochs is { } e) recipe.Training.Epochs = e;
        var data = PreparedData.Load(recipe.Data, recipe.Seed);
        var model = Build(recipe, data);
        if (state.CompletedEpochs > 0) model.Load(run.Checkpoint);
        var metrics = File.Exists(run.MetricsJson) ? RunMetrics.Load(run.MetricsJson) : new RunMetrics(new Objective(data.Task).MetricName);
        metrics.Epochs.RemoveAll(r => r.Epoch > state.CompletedEpochs);
        RecipeFile.Save(recipe, run.Recipe);
        return new TrainingRun(recipe, run, data, model, metrics, state with { Finished = false });
    }

    /// <summary>Builds the recipe's model for the prepared data, initialized from the recipe's seed.</summary>
    public static Layer Build(Recipe recipe, PreparedData data)
    {
        var train = data.Splits.Train;
        var input = new ModelInput(train.ExampleShape, train.Kind, train.VocabularySize, data.Outputs, data.Task);
        return ModelZoo.Create(recipe.Model, input, new Random(recipe.Seed), data.Encoder?.PadId ?? 0);
    }

    /// <summary>
    /// Trains until the recipe's epoch count or early stopping, then evaluates the best weights on the test split.
    /// Returns false when cancelled (after saving the checkpoint and metrics).
    /// </summary>
    public bool Train(CancellationToken cancellation = default, Action<BatchProgress>? progress = null, Action<EpochRecord>? epochFinished = null)
    {
        var training = Recipe.Training;
        var validation = Data.Splits.Validation;
        var batchSize = training.BatchSize;
        while (_state.CompletedEpochs < training.Epochs && !(_state.EpochsWithoutImprovement >= training.Patience && training.Patience > 0))
        {
            var epoch = _state.CompletedEpochs;
            (double Loss, double? Accuracy, double SamplesPerSecond, double Seconds) result;
            var rate = Trainer.Optimizer.LearningRate;
            try { result = Trainer.TrainEpoch(_loader, epoch, training.Epochs, cancellation, progress); }
            catch (OperationCanceledException)
            {
                // The interrupted epoch's updates are dropped: the checkpoint on disk is the last finished epoch.
                WriteMetrics(plots: true);
                return false;
            }
            Evaluation? v = validation.Count > 0 ? Trainer.Evaluate(validation, "validation", batchSize) : null;
            var trainMetric = Data.Task == TrainingTask.LanguageModel ? Perplexity.FromLoss(result.Loss) : result.Accuracy;
            var record = new EpochRecord(epoch + 1, result.Loss, trainMetric, v?.Loss, v?.Metric, rate, result.Seconds, result.SamplesPerSecond);
            Metrics.Epochs.Add(record);
            var improved = v != null && (_state.BestValidationLoss == null || v.Loss < _state.BestValidationLoss);
            _state = _state with
            {
                CompletedEpochs = epoch + 1,
                BestValidationLoss = improved ? v!.Loss : _state.BestValidationLoss,
                BestEpoch = improved || v == null ? epoch + 1 : _state.BestEpoch,
                EpochsWithoutImprovement = improved || v == null ? 0 : _state.EpochsWithoutImprovement + 1,
            };
            SaveCheckpoint(improved || v == null);
            WriteMetrics();
            epochFinished?.Invoke(record);
        }
        if (File.Exists(Folder.Best)) Model.Load(Folder.Best);
        if (Data.Splits.Test.Count > 0) Metrics.Evaluations["test"] = Trainer.Evaluate(Data.Splits.Test, "test", batchSize);
        if (validation.Count > 0) Metrics.Evaluations["validation"] = Trainer.Evaluate(validation, "validation", batchSize);
        _state = _state with { Finished = true };
        _state.Save(Folder.State);
        WriteMetrics(plots: true);
        return true;
    }

    private void SaveCheckpoint(bool best)
    {
        var metadata = new Dictionary<string, string>
        {
            ["epoch"] = _state.CompletedEpochs.ToString(CultureInfo.InvariantCulture),
            ["recipe"] = RecipeFile.Serialize(Recipe),
        };
        Model.Save(Folder.Checkpoint + ".tmp", metadata);
        _optimizer.Optimizer.SaveState(Folder.OptimizerState + ".tmp");
        File.Move(Folder.Checkpoint + ".tmp", Folder.Checkpoint, overwrite: true);
        File.Move(Folder.OptimizerState + ".tmp", Folder.OptimizerState, overwrite: true);
        if (best) File.Copy(Folder.Checkpoint, Folder.Best, overwrite: true);
        _state.Save(Folder.State);
    }

    // Plots are drawn when a session ends (finished or cancelled); rendering them every epoch costs more than a small epoch.
    private void WriteMetrics(bool plots = false)
    {
        Metrics.WriteJson(Folder.MetricsJson);
        Metrics.WriteCsv(Folder.MetricsCsv);
        if (plots && Metrics.Epochs.Count > 0) CurvePlot.Write(Metrics, Folder.Path);
    }

    /// <summary>
    /// Samples <paramref name="count"/> texts from the GPT of the run in <paramref name="folder"/>; for corpora of
    /// lines each sample starts and stops at a newline (one new name, one new sentence).
    /// </summary>
    public static IReadOnlyList<string> Sample(string folder, int count, float temperature = 1f, int maxTokens = 200, int seed = 0)
    {
        var (recipe, data, model) = Reopen(folder);
        if (model is not TransformerNetwork gpt || data.Task != TrainingTask.LanguageModel || data.Encoder is not { } encoder)
            throw new MoxingException($"{folder} is not a language model run (model.type gpt on corpus data)");
        var rng = new Random(seed);
        var stop = recipe.Data.Lines ? "\n" : null;
        var samples = new List<string>();
        for (var i = 0; i < count; i++) samples.Add(LanguageModelSampler.Sample(gpt, encoder, "\n", maxTokens, temperature, rng, stop));
        return samples;
    }

    /// <summary>The recipe, data and best (else last) weights of the run in <paramref name="folder"/>.</summary>
    internal static (Recipe Recipe, PreparedData Data, Layer Model) Reopen(string folder)
    {
        var run = new RunFolder(folder);
        if (!File.Exists(run.Recipe)) throw new MoxingException($"{folder} is not a run folder (no recipe.yaml)");
        var recipe = RecipeFile.Load(run.Recipe);
        var data = PreparedData.Load(recipe.Data, recipe.Seed);
        var model = Build(recipe, data);
        model.Load(WeightsOf(folder));
        return (recipe, data, model);
    }

    /// <summary>
    /// Scores the best (else the last) weights of the run in <paramref name="folder"/> on <paramref name="split"/>
    /// (train, validation or test), rebuilding the split from the saved recipe and seed.
    /// </summary>
    public static Evaluation Evaluate(string folder, string split, CancellationToken cancellation = default) =>
        Score(folder, split, null, cancellation).Evaluation;

    /// <summary>
    /// As <see cref="Evaluate"/>, with the weights first stored as <paramref name="weightType"/> (null: as trained, float32;
    /// see <see cref="WeightStorage.RoundTrip"/>); also returns the parameters' bytes in that storage and the scoring speed.
    /// </summary>
    public static RunScore Score(string folder, string split, DType? weightType, CancellationToken cancellation = default)
    {
        var (recipe, data, model) = Reopen(folder);
        var set = split.ToLowerInvariant() switch
        {
            "train" => data.Splits.Train,
            "validation" or "val" => data.Splits.Validation,
            "test" => data.Splits.Test,
            _ => throw new MoxingException($"unknown split '{split}' (expected train, validation or test)"),
        };
        if (set.Count == 0) throw new MoxingException($"the {split} split of {folder} is empty");
        var bytes = WeightStorage.RoundTrip(model, weightType ?? DType.F32);
        var clock = Stopwatch.StartNew();
        var evaluation = ModelTrainer.Evaluate(model, new Objective(data.Task, recipe.Training.LabelSmoothing), set, split.ToLowerInvariant(), recipe.Training.BatchSize, cancellation);
        return new RunScore(evaluation, bytes, set.Count / clock.Elapsed.TotalSeconds);
    }
}

/// <summary>An evaluation of a run, the bytes its parameters take as stored for it, and the examples scored per second.</summary>
public sealed record RunScore(Evaluation Evaluation, long WeightBytes, double ExamplesPerSecond);
