using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Nn.Modules;
using Moxing.Text.Tokenization;
using Moxing.Training.Data;
using Moxing.Training.Data.Text;
using Moxing.Training.Models;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Export;

/// <summary>
/// A classifier folder written by <see cref="ClassifierExport"/>, ready to predict: it rebuilds the network from the
/// recipe, loads the weights and applies the training preprocessing (scale and normalizer, or the tokenizer) to raw input.
/// </summary>
public sealed class TrainedClassifier
{
    private readonly Layer _network;
    private readonly ITextEncoder? _encoder;
    private readonly Lock _gate = new();

    private TrainedClassifier(string folder, ClassifierManifest manifest, Layer network, ITextEncoder? encoder)
    {
        Folder = folder;
        Manifest = manifest;
        _network = network;
        _encoder = encoder;
    }

    /// <summary>The folder it was loaded from.</summary>
    public string Folder { get; }

    /// <summary>Input description, labels and preprocessing.</summary>
    public ClassifierManifest Manifest { get; }

    /// <summary>Number of weights.</summary>
    public long ParameterCount => _network.ParameterCount();

    /// <summary>Values in one example (features, or C·H·W pixels; text: tokens).</summary>
    public int ExampleSize => Manifest.Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Loads the classifier in <paramref name="folder"/>.</summary>
    public static TrainedClassifier Load(string folder)
    {
        var manifest = ClassifierManifest.Load(folder);
        var recipe = RecipeFile.Load(Path.Combine(folder, ClassifierExport.RecipeFileName));
        ITextEncoder? encoder = null;
        if (manifest.IsText)
        {
            var path = Path.Combine(folder, Path.GetFileName(manifest.Tokenizer!));
            encoder = Path.GetFileName(path) == "tokenizer.json" ? new TokenizerTextEncoder(Tokenizer.FromJson(path)) : TokenVocabulary.Load(path);
        }
        var kind = manifest.IsText ? InputKind.Tokens : InputKind.Dense;
        var input = new ModelInput(manifest.Shape, kind, encoder?.VocabularySize ?? 0, manifest.Labels.Length, TrainingTask.Classification);
        var network = ModelZoo.Create(recipe.Model, input, new Random(recipe.Seed), encoder?.PadId ?? 0);
        network.Load(Path.Combine(folder, ClassifierExport.WeightsFileName));
        network.Eval();
        return new TrainedClassifier(folder, manifest, network, encoder);
    }

    /// <summary>Class probabilities [n, classes] of <paramref name="texts"/> (a text classifier only) and the tokens read (after truncation).</summary>
    public (float[] Probabilities, int Tokens) ClassifyTexts(IReadOnlyList<string> texts)
    {
        var encoder = _encoder ?? throw new MoxingException($"{Folder}: this classifier reads {Manifest.Input}, not text");
        var length = Manifest.Shape[0];
        var inputs = new float[texts.Count * length];
        var tokens = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            var ids = encoder.Encode(texts[i]);
            tokens += Math.Min(ids.Length, length);
            LabeledTexts.WriteLeftPadded(ids, encoder.PadId, inputs.AsSpan(i * length, length));
        }
        return (Probabilities(inputs, texts.Count), tokens);
    }

    /// <summary>Class probabilities [n, classes] of <paramref name="count"/> raw examples (as in the training file, before scaling).</summary>
    public float[] ClassifyValues(ReadOnlySpan<float> values, int count)
    {
        if (Manifest.IsText) throw new MoxingException($"{Folder}: this classifier reads text, not numbers");
        if (values.Length != count * ExampleSize)
            throw new MoxingException($"{values.Length} values are not {count} examples of {ExampleSize}");
        var inputs = values.ToArray();
        if (Manifest.Scale != 1f) System.Numerics.Tensors.TensorPrimitives.Divide(inputs, Manifest.Scale, inputs);
        Manifest.Normalizer?.Apply(inputs);
        return Probabilities(inputs, count);
    }

    private float[] Probabilities(float[] inputs, int count)
    {
        if (count == 0) return [];
        float[] logits;
        lock (_gate)
        {
            using var _ = GradMode.NoGrad();
            logits = _network.Forward(new Tensor(inputs, [count, .. Manifest.Shape])).Data.ToArray();
        }
        var classes = Manifest.Labels.Length;
        for (var i = 0; i < count; i++)
        {
            var row = logits.AsSpan(i * classes, classes);
            Moxing.Core.Ops.Activations.Softmax(row);
        }
        return logits;
    }
}
