using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Encoder;

/// <summary>What a sequence classifier's scores mean (transformers' problem_type); it decides how they become probabilities.</summary>
public enum ClassificationProblem
{
    /// <summary>One label per input: softmax over the labels (a sigmoid when there is one label, a cross-encoder's relevance).</summary>
    SingleLabel,
    /// <summary>Any number of labels per input: a sigmoid per label.</summary>
    MultiLabel,
    /// <summary>The scores are values, not probabilities.</summary>
    Regression,
}

/// <summary>Where a classifier head keeps its weights (".weight"/".bias" appended), what its labels are and what they mean.</summary>
/// <param name="Dense">The dense layer before tanh (BERT's pooler, RoBERTa's classifier.dense, llama.cpp's cls); null for none.</param>
/// <param name="DenseRequired">Whether a missing dense layer is an error (a Hugging Face head always has it; llama.cpp's converter drops BERT's).</param>
/// <param name="Output">The projection to the labels.</param>
/// <param name="Labels">The label names in id order; null: as many as the projection has rows, named LABEL_i.</param>
/// <param name="Problem">What the scores mean.</param>
internal sealed record ClassifierHeadLayout(string? Dense, bool DenseRequired, string Output, IReadOnlyList<string>? Labels, ClassificationProblem Problem);

/// <summary>
/// A sequence-classification head read at an encoder's first token ([CLS] / &lt;s&gt;): a dense layer and tanh when the model has one
/// (transformers' BertPooler, RobertaClassificationHead.dense; llama.cpp's `cls`), then the projection to the labels
/// (`classifier`, `classifier.out_proj`; `cls.output`). Cross-encoder rerankers are such heads with one label.
/// </summary>
public sealed class ClassifierHead
{
    private readonly Linear? _dense;
    private readonly Linear _output;

    private ClassifierHead(Linear? dense, Linear output, IReadOnlyList<string> labels, ClassificationProblem problem)
    {
        _dense = dense;
        _output = output;
        Labels = labels;
        Problem = problem;
    }

    /// <summary>The label names, in the order of the scores.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>What the scores mean.</summary>
    public ClassificationProblem Problem { get; }

    /// <summary>Whether the first token goes through a dense layer and tanh before the projection.</summary>
    public bool HasDense => _dense != null;

    /// <summary>Binds the head <paramref name="layout"/> names in <paramref name="source"/> (names tried with and without <paramref name="basePrefix"/>).</summary>
    internal static ClassifierHead Load(ITensorSource source, string basePrefix, ClassifierHeadLayout layout, int hiddenSize, string path)
    {
        var t = new PrefixedTensors(source, basePrefix);
        var weight = t.Find(layout.Output + ".weight") ?? throw new InvalidModelFileException(path, $"tensor '{layout.Output}.weight' is missing");
        // llama-quantize writes a one-label projection as a vector of hidden values (ggml drops trailing dimensions of 1)
        if (weight.Shape.Length == 1 && weight.Shape[0] == hiddenSize) weight = Reshaped(weight, [1, hiddenSize]);
        if (weight.Shape.Length != 2 || weight.Shape[1] != hiddenSize || weight.Shape[0] < 1)
            throw new InvalidModelFileException(path, $"tensor '{weight.Name}' has shape [{string.Join(", ", weight.Shape)}], expected [labels, {hiddenSize}]");
        var count = (int)weight.Shape[0];
        var labels = layout.Labels ?? [.. Enumerable.Range(0, count).Select(i => $"LABEL_{i}")];
        if (labels.Count != count)
            throw new InvalidModelFileException(path, $"tensor '{weight.Name}' scores {count} labels but the model names {labels.Count}");
        var output = new Linear(weight, t.Find(layout.Output + ".bias")?.ToFloats(count, path));
        Linear? dense = null;
        if (layout.Dense is { } name)
        {
            if (t.Find(name + ".weight") is { } w)
            {
                if (!w.Shape.SequenceEqual([hiddenSize, hiddenSize]))
                    throw new InvalidModelFileException(path, $"tensor '{w.Name}' has shape [{string.Join(", ", w.Shape)}], expected [{hiddenSize}, {hiddenSize}]");
                dense = new Linear(w, t.Find(name + ".bias")?.ToFloats(hiddenSize, path));
            }
            else if (layout.DenseRequired) throw new InvalidModelFileException(path, $"tensor '{name}.weight' is missing");
        }
        return new ClassifierHead(dense, output, labels, layout.Problem);
    }

    private static unsafe StoredTensor Reshaped(StoredTensor t, long[] shape) => new(t.Name, t.Type, shape, t.Data, t.ByteLength);

    /// <summary>The label scores (logits) [inputs, labels] of several inputs' last hidden states ([n_i, hidden] each), read at their first token.</summary>
    public float[] Scores(IReadOnlyList<float[]> hidden)
    {
        int count = hidden.Count, h = _output.InFeatures;
        var x = new float[count * h];
        for (var i = 0; i < count; i++) hidden[i].AsSpan(0, h).CopyTo(x.AsSpan(i * h, h));
        if (_dense != null)
        {
            var pooled = new float[count * h];
            _dense.Forward(x, count, pooled);
            TensorPrimitives.Tanh(pooled, pooled);
            x = pooled;
        }
        var scores = new float[count * Labels.Count];
        _output.Forward(x, count, scores);
        return scores;
    }

    /// <summary>
    /// Turns rows of <see cref="Scores"/> into probabilities in place as transformers' text-classification pipeline does: softmax
    /// over the labels, a sigmoid per label for one label or multi-label heads; regression scores stay as they are.
    /// </summary>
    public void ToProbabilities(Span<float> scores)
    {
        if (Problem == ClassificationProblem.Regression) return;
        var labels = Labels.Count;
        for (var row = 0; row < scores.Length / labels; row++)
        {
            var r = scores.Slice(row * labels, labels);
            if (Problem == ClassificationProblem.MultiLabel || labels == 1) TensorPrimitives.Sigmoid(r, r);
            else TensorPrimitives.SoftMax(r, r);
        }
    }
}
