namespace Moxing.Training.Recipes;

/// <summary>
/// Everything a training run needs, as `moxing train RECIPE.yaml` reads it: the data, the model, how to train,
/// and the seed that makes the run repeatable. Saved in the run folder beside each checkpoint.
/// </summary>
public sealed class Recipe
{
    /// <summary>Name of the run (the default run folder name).</summary>
    public string Name { get; set; } = "run";

    /// <summary>Seed of splits, shuffling, augmentation and initial weights.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Where the examples come from and how they are prepared.</summary>
    public DataRecipe Data { get; set; } = new();

    /// <summary>The network.</summary>
    public ModelRecipe Model { get; set; } = new();

    /// <summary>Epochs, batches, optimizer, schedule, clipping and early stopping.</summary>
    public TrainingRecipe Training { get; set; } = new();

    /// <summary>Learn from a teacher's soft targets as well as the labels (`moxing distill`); null for plain training.</summary>
    public DistillationRecipe? Distillation { get; set; }
}

/// <summary>The distillation part of a recipe: loss = alpha·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − alpha)·CE(labels).</summary>
public sealed class DistillationRecipe
{
    /// <summary>A `moxing train` run folder, or (for GPT students) a model folder or GGUF file over the same vocabulary.</summary>
    public string Teacher { get; set; } = "";

    /// <summary>Softmax temperature T of both distributions (higher shows more of the teacher's ranking of wrong classes).</summary>
    public float Temperature { get; set; } = 2f;

    /// <summary>Weight of the soft-target term; 1 − alpha weighs the hard labels.</summary>
    public float Alpha { get; set; } = 0.5f;
}

/// <summary>The data part of a recipe.</summary>
public sealed class DataRecipe
{
    /// <summary>table, idx, cifar10, text (labelled texts) or corpus (language modelling); empty = from the file name.</summary>
    public string Format { get; set; } = "";

    /// <summary>The data file (for idx: the image file; for cifar10: one or more files separated by commas).</summary>
    public string Path { get; set; } = "";

    /// <summary>idx: the label file; table: a separate file of targets.</summary>
    public string? Labels { get; set; }

    /// <summary>table: the label column (name or index; default the last); text: the label field.</summary>
    public string? LabelColumn { get; set; }

    /// <summary>text: the text field or column.</summary>
    public string TextColumn { get; set; } = "text";

    /// <summary>classification or regression (tables; default decided from the labels).</summary>
    public string? Task { get; set; }

    /// <summary>Reshape each row of a table into an image of this [C, H, W] shape (e.g. 1,8,8 for digits).</summary>
    public int[]? ImageShape { get; set; }

    /// <summary>Standardize dense inputs with statistics of the training split.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Divide dense inputs by this before normalizing (e.g. 16 for 0..16 pixels); 1 = unchanged.</summary>
    public float Scale { get; set; } = 1f;

    /// <summary>Fraction of the examples held out for validation.</summary>
    public double Validation { get; set; } = 0.1;

    /// <summary>Fraction of the examples held out for the final test.</summary>
    public double Test { get; set; } = 0.2;

    /// <summary>Images: pixels of padding for random crops (0 = off).</summary>
    public int CropPadding { get; set; }

    /// <summary>Images: random horizontal flips.</summary>
    public bool Flip { get; set; }

    /// <summary>Text: chars, words, or the path of a tokenizer.json.</summary>
    public string Tokenizer { get; set; } = "chars";

    /// <summary>Text: most tokens a vocabulary built from the training split keeps.</summary>
    public int VocabularySize { get; set; } = 20000;

    /// <summary>Text: tokens kept per example (classification).</summary>
    public int MaxLength { get; set; } = 256;

    /// <summary>Corpus: tokens per training window.</summary>
    public int BlockSize { get; set; } = 64;

    /// <summary>Corpus: tokens between window starts (default the block size).</summary>
    public int? Stride { get; set; }

    /// <summary>Corpus: each line is a document (names, sentences) rather than running text.</summary>
    public bool Lines { get; set; } = true;
}

/// <summary>The model part of a recipe.</summary>
public sealed class ModelRecipe
{
    /// <summary>linear, mlp, lenet, resnet18-cifar, rnn, lstm, gru, transformer or gpt.</summary>
    public string Type { get; set; } = "mlp";

    /// <summary>mlp: widths of the hidden layers.</summary>
    public int[] Hidden { get; set; } = [64];

    /// <summary>Sequence models: width of embeddings and hidden states.</summary>
    public int Dim { get; set; } = 64;

    /// <summary>Sequence models: stacked layers.</summary>
    public int Layers { get; set; } = 1;

    /// <summary>Attention heads (transformer, gpt).</summary>
    public int Heads { get; set; } = 4;

    /// <summary>transformer, gpt: width of one attention head (default dim / heads; runs whose heads were pruned record it).</summary>
    public int? HeadDim { get; set; }

    /// <summary>transformer, gpt: feed-forward width (default 4·dim; runs whose channels were pruned record it).</summary>
    public int? FeedForward { get; set; }

    /// <summary>Dropout probability.</summary>
    public float Dropout { get; set; }

    /// <summary>Recurrent models: read the sequence in both directions.</summary>
    public bool Bidirectional { get; set; }

    /// <summary>CNNs: channels of the first convolution (later ones scale from it).</summary>
    public int Channels { get; set; } = 16;
}

/// <summary>The optimization part of a recipe.</summary>
public sealed class TrainingRecipe
{
    /// <summary>Passes over the training split.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Examples per step.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>sgd, rmsprop, adagrad, adam or adamw.</summary>
    public string Optimizer { get; set; } = "adam";

    /// <summary>Learning rate (peak rate for one-cycle and warm-up schedules).</summary>
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>SGD / RMSprop momentum.</summary>
    public double Momentum { get; set; }

    /// <summary>SGD: Nesterov momentum.</summary>
    public bool Nesterov { get; set; }

    /// <summary>Weight decay (L2 for SGD/Adam/RMSprop/Adagrad, decoupled for AdamW).</summary>
    public double WeightDecay { get; set; }

    /// <summary>none, step, cosine, warmup-cosine or onecycle (stepped per batch, except step: per epoch).</summary>
    public string Schedule { get; set; } = "none";

    /// <summary>step: epochs between decays.</summary>
    public int StepSize { get; set; } = 10;

    /// <summary>step: decay factor.</summary>
    public double Gamma { get; set; } = 0.1;

    /// <summary>warmup-cosine: warm-up steps (batches).</summary>
    public int WarmupSteps { get; set; }

    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public double ClipGradNorm { get; set; }

    /// <summary>Stop after this many epochs without a better validation loss (0 = never).</summary>
    public int Patience { get; set; }

    /// <summary>Cross-entropy label smoothing.</summary>
    public float LabelSmoothing { get; set; }
}
