using Moxing.Core;
using Moxing.Core.Quantization.Importance;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Evaluation;

/// <summary>
/// Computes an importance matrix as llama-imatrix does: the text's tokens in chunks of <c>context</c> (each starting with
/// BOS when the tokenizer adds one), every token's activations summed into <see cref="ImportanceCollector"/>, and the
/// perplexity of the second half of each chunk reported on the way.
/// </summary>
public static class ImportanceEstimator
{
    /// <summary>
    /// Runs <paramref name="model"/> over at most <paramref name="maxChunks"/> chunks of <paramref name="tokens"/> and returns the
    /// importance matrix (named by <paramref name="ggufName"/>, dataset <paramref name="dataset"/>) and the text's perplexity. The
    /// KV cache is F16 by default, as llama-imatrix's.
    /// </summary>
    public static (ImportanceMatrix Matrix, TextScore Score) Compute(DecoderModel model, Func<string, string?> ggufName, ReadOnlySpan<int> tokens,
        int? bos, int context, string dataset, int maxChunks = int.MaxValue, bool includeOutput = false,
        Action<int, int>? progress = null, CancellationToken cancel = default, DType kvType = DType.F16)
    {
        // llama-imatrix's rule: at least two chunks of text.
        if (tokens.Length < 2 * context)
            throw new MoxingException($"the text has {tokens.Length} tokens; an importance matrix over chunks of {context} needs at least {2 * context} (use a longer text or a smaller --ctx)");
        if (model.MatMulObserver != null) throw new MoxingException("the model is already being observed by another collection");
        var collector = new ImportanceCollector(ggufName, includeOutput);
        model.MatMulObserver = collector;
        TextScore score;
        try
        {
            score = TextEvaluator.Evaluate(model, tokens, bos, context, progress: progress, cancel: cancel, maxChunks: maxChunks, kvType: kvType);
        }
        finally
        {
            model.MatMulObserver = null;
        }
        var matrix = collector.Matrix;
        if (matrix.Count == 0) throw new MoxingException("no weight matrix of the transformer blocks was seen; the model has no blk.* tensors to weigh");
        matrix.Datasets.Add(dataset);
        matrix.ChunkCount = score.Chunks;
        matrix.ChunkSize = context;
        return (matrix, score);
    }
}
