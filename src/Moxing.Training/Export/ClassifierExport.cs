using Moxing.Core;
using Moxing.Nn.Modules;
using Moxing.Training.Data.Text;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Export;

/// <summary>Writes a trained classifier as a folder the server loads: weights, recipe, classifier.json and the tokenizer of text models.</summary>
public static class ClassifierExport
{
    /// <summary>The weights file.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The recipe the network is rebuilt from.</summary>
    public const string RecipeFileName = "recipe.yaml";

    /// <summary>Writes <paramref name="model"/>, trained by <paramref name="recipe"/> on <paramref name="data"/>, to <paramref name="folder"/>.</summary>
    public static void Write(Layer model, Recipe recipe, PreparedData data, string folder)
    {
        if (data.Task != TrainingTask.Classification)
            throw new MoxingException($"only classifiers export as classifier folders; this run's task is {data.Task}");
        Directory.CreateDirectory(folder);
        var train = data.Splits.Train;
        string? tokenizer = null;
        if (data.Encoder is TokenVocabulary vocabulary)
        {
            tokenizer = "vocab.json";
            vocabulary.Save(Path.Combine(folder, tokenizer));
        }
        else if (data.Encoder is TokenizerTextEncoder)
        {
            tokenizer = "tokenizer.json";
            File.Copy(recipe.Data.Tokenizer, Path.Combine(folder, tokenizer), overwrite: true);
        }
        var text = data.Encoder != null;
        new ClassifierManifest
        {
            ModelType = recipe.Model.Type.ToLowerInvariant(),
            Input = text ? "text" : train.ExampleShape.Length == 3 ? "image" : "features",
            Shape = train.ExampleShape,
            Labels = [.. train.Targets.ClassNames],
            Scale = text ? 1f : recipe.Data.Scale,
            Normalizer = data.Normalizer,
            Tokenizer = tokenizer,
        }.Save(folder);
        model.Save(Path.Combine(folder, WeightsFileName));
        RecipeFile.Save(recipe, Path.Combine(folder, RecipeFileName));
    }
}
