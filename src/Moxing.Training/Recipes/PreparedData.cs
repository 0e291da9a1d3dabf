using Moxing.Core;
using Moxing.Text.Tokenization;
using Moxing.Training.Data;
using Moxing.Training.Data.Augmentation;
using Moxing.Training.Data.Readers;
using Moxing.Training.Data.Text;
using Moxing.Training.Trainer;

namespace Moxing.Training.Recipes;

/// <summary>
/// The splits a recipe's data section describes, ready for training: read, split with the recipe's seed, scaled,
/// normalized with training-split statistics and tokenized with a vocabulary of the training split. The same
/// recipe and seed always give the same splits, so `moxing eval` rebuilds exactly the test split of a run.
/// </summary>
public sealed class PreparedData
{
    private PreparedData(DatasetSplits splits, TrainingTask task, Normalizer? normalizer, ITextEncoder? encoder, IReadOnlyList<IImageAugmentation> augmentations)
    {
        Splits = splits;
        Task = task;
        Normalizer = normalizer;
        Encoder = encoder;
        Augmentations = augmentations;
    }

    /// <summary>Train, validation and test examples.</summary>
    public DatasetSplits Splits { get; }

    /// <summary>What the data asks a model to predict.</summary>
    public TrainingTask Task { get; }

    /// <summary>The standardization fitted on the training split, when the recipe normalizes.</summary>
    public Normalizer? Normalizer { get; }

    /// <summary>The text encoder of text and corpus data.</summary>
    public ITextEncoder? Encoder { get; }

    /// <summary>Random image changes applied to training batches.</summary>
    public IReadOnlyList<IImageAugmentation> Augmentations { get; }

    /// <summary>Number of outputs a model needs: classes, vocabulary size or targets per example.</summary>
    public int Outputs => Splits.Train.Targets.IsClassification ? Splits.Train.Targets.ClassNames.Count : Splits.Train.Targets.ValuesPerExample;

    /// <summary>The data format a recipe names, or the one its file name implies.</summary>
    public static string FormatOf(DataRecipe data)
    {
        if (!string.IsNullOrEmpty(data.Format)) return data.Format.ToLowerInvariant();
        var name = data.Path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? data.Path[..^3] : data.Path;
        var ext = Path.GetExtension(name).ToLowerInvariant();
        return ext switch
        {
            ".jsonl" or ".ndjson" => "text",
            ".txt" => "corpus",
            ".bin" => "cifar10",
            ".idx" or ".idx3-ubyte" or ".ubyte" => "idx",
            _ => "table",
        };
    }

    /// <summary>Reads and prepares the data of <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static PreparedData Load(DataRecipe data, int seed)
    {
        if (string.IsNullOrEmpty(data.Path)) throw new MoxingException("the recipe names no data file (data.path)");
        var format = FormatOf(data);
        return format switch
        {
            "table" or "csv" or "tsv" => Dense(Table(data), data, seed),
            "idx" or "mnist" => Dense(MnistReader.Read(data.Path, data.Labels ?? throw new MoxingException("idx data needs data.labels (the label file)")), data, seed),
            "cifar10" => Dense(Cifar10Reader.Read(data.Path.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)), data, seed),
            "text" => Text(data, seed),
            "corpus" => Corpus(data, seed),
            _ => throw new MoxingException($"unknown data.format '{data.Format}' (expected table, idx, cifar10, text or corpus)"),
        };
    }

    private static Dataset Table(DataRecipe data)
    {
        TabularTask? task = data.Task?.ToLowerInvariant() switch
        {
            null or "" => null,
            "classification" => TabularTask.Classification,
            "regression" => TabularTask.Regression,
            _ => throw new MoxingException($"data.task must be classification or regression, got '{data.Task}'"),
        };
        var table = TabularReader.Read(data.Path, new TabularOptions { LabelColumn = data.LabelColumn, TargetsPath = data.Labels, Task = task });
        var set = table.Data;
        if (data.ImageShape is not { } shape) return set;
        if (shape.Length != 3 || shape.Aggregate(1, (a, b) => a * b) != set.ExampleSize)
            throw new MoxingException($"data.image_shape [{string.Join(", ", shape)}] must be [C, H, W] with {set.ExampleSize} values");
        return new Dataset(set.Inputs, shape, set.Targets);
    }

    private static PreparedData Dense(Dataset set, DataRecipe data, int seed)
    {
        if (data.Scale != 1f)
        {
            if (data.Scale == 0f) throw new MoxingException("data.scale must not be 0");
            System.Numerics.Tensors.TensorPrimitives.Divide(set.Inputs, data.Scale, set.Inputs);
        }
        var splits = DatasetSplits.Split(set, data.Validation, data.Test, seed);
        Normalizer? normalizer = null;
        if (data.Normalize)
        {
            normalizer = Normalizer.Fit(splits.Train);
            splits = new DatasetSplits(normalizer.Apply(splits.Train), normalizer.Apply(splits.Validation), normalizer.Apply(splits.Test));
        }
        var augmentations = new List<IImageAugmentation>();
        if (data.CropPadding > 0 || data.Flip)
        {
            if (set.ExampleShape.Length != 3) throw new MoxingException("data.crop_padding and data.flip need images ([C, H, W] examples)");
            // Padding with the normalized value of black keeps padded borders looking like the image's own background.
            if (data.CropPadding > 0) augmentations.Add(new RandomCrop(data.CropPadding, normalizer == null ? 0f : -normalizer.Mean[0] / normalizer.Std[0]));
            if (data.Flip) augmentations.Add(new HorizontalFlip());
        }
        var task = set.Targets.IsClassification ? TrainingTask.Classification : TrainingTask.Regression;
        return new PreparedData(splits, task, normalizer, null, augmentations);
    }

    private static PreparedData Text(DataRecipe data, int seed)
    {
        var texts = TextClassificationReader.Read(data.Path, data.TextColumn, data.LabelColumn ?? "label");
        // Split example numbers (stratified by label), so the vocabulary is built from training texts only.
        var numbers = new Dataset(Enumerable.Range(0, texts.Texts.Length).Select(i => (float)i).ToArray(), [1],
            DatasetTargets.Classes(texts.Labels, texts.ClassNames));
        var parts = DatasetSplits.Split(numbers, data.Validation, data.Test, seed);
        LabeledTexts Part(Dataset d) => new(d.Inputs.Select(i => texts.Texts[(int)i]).ToArray(), d.Targets.Labels!, texts.ClassNames);
        var train = Part(parts.Train);
        var encoder = BuildEncoder(data, train.Texts);
        var splits = new DatasetSplits(train.Encode(encoder, data.MaxLength), Part(parts.Validation).Encode(encoder, data.MaxLength),
            Part(parts.Test).Encode(encoder, data.MaxLength));
        return new PreparedData(splits, TrainingTask.Classification, null, encoder, []);
    }

    private static PreparedData Corpus(DataRecipe data, int seed)
    {
        var text = LanguageModelCorpus.ReadText(data.Path, data.Lines);
        var encoder = BuildEncoder(data, [text]);
        var windows = LanguageModelCorpus.Windows(text, encoder, data.BlockSize, data.Stride ?? data.BlockSize);
        return new PreparedData(DatasetSplits.Split(windows, data.Validation, data.Test, seed), TrainingTask.LanguageModel, null, encoder, []);
    }

    private static ITextEncoder BuildEncoder(DataRecipe data, IEnumerable<string> trainingTexts) => data.Tokenizer.ToLowerInvariant() switch
    {
        "chars" or "characters" => TokenVocabulary.Build(trainingTexts, TokenLevel.Characters, data.VocabularySize),
        "words" => TokenVocabulary.Build(trainingTexts, TokenLevel.Words, data.VocabularySize, minCount: 2),
        _ => new TokenizerTextEncoder(Tokenizer.FromJson(data.Tokenizer)),
    };
}
