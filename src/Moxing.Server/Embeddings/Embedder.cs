using System.Numerics.Tensors;
using Moxing.Models.Encoder;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;

namespace Moxing.Server.Embeddings;

/// <summary>Sentence embeddings: an encoder's last hidden state, mean pooled and L2-normalised (sentence-transformers' recipe).</summary>
public static class Embedder
{
    /// <summary>
    /// Embeds every input. <paramref name="dimensions"/> keeps the first d components and renormalises (as OpenAI's shortened
    /// embeddings); <paramref name="truncate"/> cuts inputs longer than the model's positions instead of failing;
    /// <paramref name="meter"/> admits the request under its key's limits once its tokens are counted, before the encoder runs.
    /// </summary>
    public static async Task<EmbeddingBatch> EmbedAsync(ResidentModel model, IReadOnlyList<EmbeddingInput> inputs, int? dimensions, bool truncate,
        MeteredRequest? meter, CancellationToken cancellation)
    {
        var encoder = model.Model.Encoder ?? throw new ApiException(400,
            $"the model '{model.Name}' ({model.Model.Architecture}) generates text; embeddings need an encoder model such as BERT",
            param: "model", code: "model_not_embedding");
        var hidden = encoder.Options.HiddenSize;
        if (dimensions is { } d && (d < 1 || d > hidden))
            throw ApiException.BadParameter("dimensions", $"'dimensions' must be between 1 and {hidden} for '{model.Name}'");
        var tokenizer = model.Model.RequireTokenizer();
        var batches = new int[inputs.Count][];
        var tokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var ids = inputs[i].Ids ?? tokenizer.Encode(inputs[i].Text!, addSpecialTokens: true);
            if (ids.Length == 0) throw ApiException.BadParameter("input", $"input {i} is empty");
            if (ids.Length > encoder.Options.MaxPositions)
            {
                if (!truncate)
                    throw new ApiException(400, $"input {i} has {ids.Length} tokens but '{model.Name}' takes at most {encoder.Options.MaxPositions}",
                        param: "input", code: "context_length_exceeded");
                ids = ids[..encoder.Options.MaxPositions];
            }
            foreach (var id in ids)
                if ((uint)id >= (uint)encoder.Options.VocabSize)
                    throw ApiException.BadParameter("input", $"input {i} holds token {id}; the vocabulary has {encoder.Options.VocabSize} tokens");
            batches[i] = ids;
            tokens += ids.Length;
        }
        meter?.AdmitEmbedding(model, tokens);
        var vectors = new float[inputs.Count][];
        await model.EncoderGate.WaitAsync(cancellation);
        try
        {
            await Task.Run(() =>
            {
                for (var i = 0; i < batches.Length; i++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    vectors[i] = Shorten(BertModel.MeanPooledNormalized(encoder.Encode(batches[i]), hidden), dimensions);
                }
            }, cancellation);
        }
        finally
        {
            model.EncoderGate.Release();
        }
        return new EmbeddingBatch(vectors, tokens);
    }

    private static float[] Shorten(float[] vector, int? dimensions)
    {
        if (dimensions is not { } d || d == vector.Length) return vector;
        var shortened = vector[..d];
        TensorPrimitives.Divide(shortened, Math.Max(TensorPrimitives.Norm(shortened), 1e-12f), shortened);
        return shortened;
    }
}
