using Moxing.Core;
using Moxing.Nn.Modules;
using Moxing.Training.Data;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Models;

/// <summary>The networks `moxing train` builds by name, sized from the recipe and the data.</summary>
public static class ModelZoo
{
    /// <summary>The model names, as recipes spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["linear", "mlp", "lenet", "resnet18-cifar", "rnn", "lstm", "gru", "transformer", "gpt"];

    /// <summary>Builds the model <paramref name="model"/> names for <paramref name="input"/>, initialized from <paramref name="rng"/>.</summary>
    public static Layer Create(ModelRecipe model, ModelInput input, Random rng, int padId = 0)
    {
        var type = model.Type.ToLowerInvariant();
        if (!Names.Contains(type) && type is not ("cnn" or "resnet18"))
            throw new MoxingException($"unknown model.type '{model.Type}' (expected {string.Join(", ", Names)})");
        CheckInput(type, input);
        return type switch
        {
            "linear" => FeedForwardNetworks.Mlp(input, [], 0, rng),
            "mlp" => FeedForwardNetworks.Mlp(input, model.Hidden, model.Dropout, rng),
            "lenet" or "cnn" => FeedForwardNetworks.LeNet(input, model.Channels, model.Dropout, rng),
            "resnet18-cifar" or "resnet18" => new ResNetCifar(input, model.Channels, rng),
            "rnn" or "lstm" or "gru" => new RecurrentClassifier(type, input, model.Dim, model.Layers, model.Bidirectional, model.Dropout, padId, rng),
            "transformer" or "gpt" => new TransformerNetwork(input, TransformerSize.Of(model), model.Dropout, padId, causal: type == "gpt", rng),
            _ => throw new MoxingException($"unknown model.type '{model.Type}' (expected {string.Join(", ", Names)})"),
        };
    }

    private static void CheckInput(string type, ModelInput input)
    {
        var dense = type is "linear" or "mlp" or "lenet" or "cnn" or "resnet18-cifar" or "resnet18";
        if (dense && input.Kind == InputKind.Tokens)
            throw new MoxingException($"model '{type}' needs numeric features or images, the data is token ids (use a sequence model)");
        if (dense && input.Task == TrainingTask.LanguageModel)
            throw new MoxingException($"model '{type}' cannot be a language model");
        if (!dense && input.Kind != InputKind.Tokens)
            throw new MoxingException($"model '{type}' reads token ids; use text or corpus data");
        if (type == "gpt" && input.Task != TrainingTask.LanguageModel)
            throw new MoxingException("model 'gpt' is a language model; use corpus data (or 'transformer' to classify texts)");
        if (type is "rnn" or "lstm" or "gru" or "transformer" && input.Task != TrainingTask.Classification)
            throw new MoxingException($"model '{type}' classifies texts; use 'gpt' for language modelling");
    }
}
