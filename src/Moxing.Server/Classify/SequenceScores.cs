using Moxing.Models.Encoder;
using Moxing.Server.Embeddings;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Text.Tokenization;

namespace Moxing.Server.Classify;

/// <summary>The label scores of an encoder's sequence-classification head (a cross-encoder reranker, a text classifier) for tokenized inputs.</summary>
public static class SequenceScores
{
    /// <summary>The head of <paramref name="model"/>, or a 400 naming the model and saying why it cannot <paramref name="task"/>.</summary>
    public static ClassifierHead RequireHead(ResidentModel model, string task)
    {
        var loaded = model.Model;
        if (loaded.Classifier is { } head) return head;
        var why = loaded.Encoder != null
            ? "it is an embedding model: its encoder has no sequence-classification head (HF *ForSequenceClassification, GGUF cls.output)"
            : "it is a text-generation model, not an encoder with a sequence-classification head";
        throw new ApiException(400, $"the model '{model.Name}' ({loaded.Architecture}) cannot {task}: {why}", param: "model", code: "model_not_classifier");
    }

    /// <summary>
    /// The head's scores [inputs, labels] of <paramref name="inputs"/> and the tokens they took: each checked against the model's
    /// positions (a 400 naming <paramref name="param"/> and the input), admitted under the key's limits, encoded in batches.
    /// </summary>
    public static async Task<(float[] Scores, int Tokens)> ScoreAsync(ResidentModel model, ClassifierHead head, IReadOnlyList<EncodedPair> inputs, string param,
        MeteredRequest? meter, CancellationToken cancellation)
    {
        var encoder = model.Model.RequireEncoder();
        var (ids, types) = (new int[inputs.Count][], new int[inputs.Count][]);
        var tokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            EncoderPasses.Check(inputs[i].Ids, i, param, model.Name, encoder.Options.MaxPositions, encoder.Options.VocabSize);
            (ids[i], types[i]) = (inputs[i].Ids, inputs[i].TypeIds);
            tokens += ids[i].Length;
        }
        meter?.AdmitEmbedding(model, tokens);
        var labels = head.Labels.Count;
        var scores = new float[inputs.Count * labels];
        await EncoderPasses.RunAsync(model, () => EncoderPasses.Encode(encoder, ids, types,
            (first, states) => head.Scores(states).CopyTo(scores.AsSpan(first * labels)), cancellation), cancellation);
        return (scores, tokens);
    }
}
