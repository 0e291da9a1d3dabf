using System.Numerics.Tensors;
using Moxing.Models.Decoder;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.Embeddings;

/// <summary>
/// Sentence embeddings: an encoder's last hidden state or a decoder's final hidden states, pooled as the model declares (GGUF
/// pooling_type or sentence-transformers' Pooling module: mean by default, [CLS] for BGE, last token for causal embedders) and
/// L2-normalised unless the caller asks for the raw vector.
/// </summary>
public static class Embedder
{
    /// <summary>Tokens a decoder runs per forward step while embedding (bounds the activation memory of long inputs).</summary>
    public const int DecoderChunk = 256;

    /// <summary>Most inputs per request (OpenAI's limit).</summary>
    public const int MaxInputs = 2048;

    /// <summary>A 400 naming <paramref name="param"/> when a request holds more than <see cref="MaxInputs"/> inputs.</summary>
    public static void CheckInputCount(int count, string param = "input")
    {
        if (count > MaxInputs) throw ApiException.BadParameter(param, $"'{param}' takes at most {MaxInputs} items, got {count}");
    }

    /// <summary>
    /// Embeds every input. <paramref name="dimensions"/> keeps the first d components and renormalises (as OpenAI's shortened
    /// embeddings); <paramref name="truncate"/> cuts inputs longer than the model's positions instead of failing;
    /// <paramref name="meter"/> admits the request under its key's limits once its tokens are counted, before the encoder runs;
    /// <paramref name="normalize"/> false leaves the pooled vectors as they are (Ollama's legacy /api/embeddings).
    /// </summary>
    public static async Task<EmbeddingBatch> EmbedAsync(ResidentModel model, IReadOnlyList<EmbeddingInput> inputs, int? dimensions, bool truncate,
        MeteredRequest? meter, CancellationToken cancellation, bool normalize = true)
    {
        var loaded = model.Model;
        var (hidden, maxTokens, vocab) = loaded.Encoder is { } e ? (e.Options.HiddenSize, e.Options.MaxPositions, e.Options.VocabSize)
            : loaded.Decoder is { } d ? (d.Options.HiddenSize, model.Context, d.Options.VocabSize)
            : throw new ApiException(400, $"the model '{model.Name}' ({loaded.Architecture}) cannot embed text", param: "model", code: "model_not_embedding");
        if (dimensions is { } dims && (dims < 1 || dims > hidden))
            throw ApiException.BadParameter("dimensions", $"'dimensions' must be between 1 and {hidden} for '{model.Name}'");
        var tokenizer = loaded.RequireTokenizer();
        var batches = new int[inputs.Count][];
        var tokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var ids = inputs[i].Ids ?? tokenizer.Encode(inputs[i].Text!, addSpecialTokens: true);
            if (truncate && ids.Length > maxTokens) ids = ids[..maxTokens];
            EncoderPasses.Check(ids, i, "input", model.Name, maxTokens, vocab);
            batches[i] = ids;
            tokens += ids.Length;
        }
        meter?.AdmitEmbedding(model, tokens);
        var pooling = EmbeddingPoolings.For(loaded);
        var decoderEmbed = loaded.Decoder is { } decoder ? DecoderEmbedding(decoder, pooling) : null;
        float[] Finish(float[] pooled) => Shorten(normalize ? Normalized(pooled) : pooled, dimensions);
        var vectors = new float[inputs.Count][];
        await EncoderPasses.RunAsync(model, () =>
        {
            if (loaded.Encoder is { } encoder)
                EncoderPasses.Encode(encoder, batches, null, (first, states) =>
                {
                    for (var i = 0; i < states.Length; i++) vectors[first + i] = Finish(EmbeddingPoolings.Pool(states[i], hidden, pooling));
                }, cancellation);
            else
                for (var i = 0; i < batches.Length; i++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    vectors[i] = Finish(decoderEmbed!(batches[i]));
                }
        }, cancellation);
        return new EmbeddingBatch(vectors, tokens);
    }

    // Runs the input through the decoder in chunks on a private KV cache and pools the normed final hidden states (not normalised).
    private static Func<int[], float[]> DecoderEmbedding(DecoderModel decoder, EmbeddingPooling pooling) => ids =>
    {
        var h = decoder.Options.HiddenSize;
        var cache = decoder.CreateCache(ids.Length);
        var scratch = decoder.CreateScratch(Math.Min(ids.Length, DecoderChunk));
        var states = new float[Math.Min(ids.Length, DecoderChunk) * h];
        var pooled = new float[h];
        try
        {
            for (var start = 0; start < ids.Length; start += DecoderChunk)
            {
                var n = Math.Min(DecoderChunk, ids.Length - start);
                var chunk = states.AsSpan(0, n * h);
                decoder.HiddenStates(ids.AsSpan(start, n), cache.Sequence, scratch, chunk);
                if (pooling == EmbeddingPooling.Mean)
                    for (var t = 0; t < n; t++) TensorPrimitives.Add(pooled, chunk.Slice(t * h, h), pooled);
                else if (pooling == EmbeddingPooling.FirstToken && start == 0) chunk[..h].CopyTo(pooled);
                else if (pooling == EmbeddingPooling.LastToken && start + n == ids.Length) chunk.Slice((n - 1) * h, h).CopyTo(pooled);
            }
        }
        finally
        {
            cache.Sequence.Release();
        }
        if (pooling == EmbeddingPooling.Mean) TensorPrimitives.Divide(pooled, ids.Length, pooled);
        return pooled;
    };

    private static float[] Normalized(float[] vector)
    {
        EmbeddingPoolings.Normalize(vector);
        return vector;
    }

    private static float[] Shorten(float[] vector, int? dimensions)
    {
        if (dimensions is not { } d || d == vector.Length) return vector;
        var shortened = vector[..d];
        EmbeddingPoolings.Normalize(shortened);
        return shortened;
    }
}
