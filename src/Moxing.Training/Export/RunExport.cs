using Moxing.Core;
using Moxing.Training.Models;
using Moxing.Training.Trainer;

namespace Moxing.Training.Export;

/// <summary>What a run folder exports as.</summary>
public enum ExportKind
{
    /// <summary>A GPT as a Hugging Face GPT-2 folder.</summary>
    LanguageModel,

    /// <summary>A classifier folder (classifier.json, recipe, weights, tokenizer).</summary>
    Classifier,
}

/// <summary>Exports the best (else the last) weights of a finished or stopped run in the form the model store and server take.</summary>
public static class RunExport
{
    /// <summary>Writes the model of the run in <paramref name="runFolder"/> to <paramref name="output"/>; returns what it wrote.</summary>
    public static ExportKind Write(string runFolder, string output)
    {
        var (recipe, data, model) = TrainingRun.Reopen(runFolder);
        if (model is TransformerNetwork { IsCausal: true } gpt)
        {
            var encoder = data.Encoder ?? throw new MoxingException($"{runFolder}: the language model has no text encoder");
            var tokenizerJson = encoder is Data.Text.TokenVocabulary ? null : recipe.Data.Tokenizer;
            Gpt2Export.Write(gpt, encoder, tokenizerJson, recipe.Data.Lines, output);
            return ExportKind.LanguageModel;
        }
        if (data.Task != TrainingTask.Classification)
            throw new MoxingException($"{runFolder}: a {data.Task.ToString().ToLowerInvariant()} model cannot be served yet (only classifiers and GPTs)");
        ClassifierExport.Write(model, recipe, data, output);
        return ExportKind.Classifier;
    }
}
