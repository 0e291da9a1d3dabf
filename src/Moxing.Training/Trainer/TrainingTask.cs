namespace Moxing.Training.Trainer;

/// <summary>What a model is trained to predict, which fixes its loss and its metric.</summary>
public enum TrainingTask
{
    /// <summary>One class per example: logits [B, classes], cross-entropy, accuracy.</summary>
    Classification,

    /// <summary>Real values: predictions [B, targets], mean squared error, R².</summary>
    Regression,

    /// <summary>The next token at every position: logits [B, T, vocabulary], cross-entropy, perplexity.</summary>
    LanguageModel,
}
