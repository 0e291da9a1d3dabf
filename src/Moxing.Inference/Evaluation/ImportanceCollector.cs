using System.Numerics.Tensors;
using Moxing.Core;
using Moxing.Core.Quantization.Importance;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Evaluation;

/// <summary>
/// Sums the squared activations entering each weight matrix of the transformer blocks (and the LM head when asked), per
/// input column and counting tokens, under the matrices' GGUF names: the statistics llama-imatrix collects.
/// </summary>
/// <param name="ggufName">The GGUF name of a model tensor (null for a tensor llama.cpp does not name).</param>
/// <param name="includeOutput">Also collect output.weight, as llama-imatrix --process-output.</param>
public sealed class ImportanceCollector(Func<string, string?> ggufName, bool includeOutput) : IMatMulObserver
{
    /// <summary>The statistics collected so far.</summary>
    public ImportanceMatrix Matrix { get; } = new();

    /// <inheritdoc />
    public void Observe(string weightName, ReadOnlySpan<float> input, int rows)
    {
        var name = ggufName(weightName);
        if (name == null || !(name.StartsWith("blk.", StringComparison.Ordinal) || (includeOutput && name == "output.weight"))) return;
        if (!float.IsFinite(TensorPrimitives.SumOfMagnitudes(input)))
            throw new MoxingException($"non-finite activations enter '{name}'; the model's weights or the text produce overflow");
        Matrix.Accumulate(name, input, input.Length / rows);
    }
}
