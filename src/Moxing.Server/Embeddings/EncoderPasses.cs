using Moxing.Models.Encoder;
using Moxing.Server.Http;
using Moxing.Server.Models;

namespace Moxing.Server.Embeddings;

/// <summary>How a request runs an encoder: inputs checked against the model, consecutive inputs encoded in one pass, one request per model at a time.</summary>
public static class EncoderPasses
{
    /// <summary>Tokens an encoder runs in one pass over several inputs (bounds the activation memory of a batch).</summary>
    public const int BatchTokens = 2048;

    /// <summary>
    /// A 400 naming <paramref name="param"/> and input <paramref name="index"/> when <paramref name="ids"/> is empty, longer than
    /// <paramref name="maxTokens"/> (code context_length_exceeded) or holds a token past the model's <paramref name="vocab"/>.
    /// </summary>
    public static void Check(int[] ids, int index, string param, string model, int maxTokens, int vocab)
    {
        if (ids.Length == 0) throw ApiException.BadParameter(param, $"{param} {index} is empty");
        if (ids.Length > maxTokens)
            throw new ApiException(400, $"{param} {index} has {ids.Length} tokens but '{model}' takes at most {maxTokens}", param: param, code: "context_length_exceeded");
        foreach (var id in ids)
            if ((uint)id >= (uint)vocab) throw ApiException.BadParameter(param, $"{param} {index} holds token {id}; the vocabulary has {vocab} tokens");
    }

    /// <summary>Runs <paramref name="work"/> off the request thread once the model's encoder is free (encoders share the worker pool).</summary>
    public static async Task RunAsync(ResidentModel model, Action work, CancellationToken cancellation)
    {
        await model.EncoderGate.WaitAsync(cancellation);
        try
        {
            await Task.Run(work, cancellation);
        }
        finally
        {
            model.EncoderGate.Release();
        }
    }

    /// <summary>
    /// The last hidden states of every input, handed to <paramref name="use"/> (first input's index, states) a pass at a time:
    /// consecutive inputs of at most <see cref="BatchTokens"/> tokens in all (an input longer than that alone).
    /// </summary>
    public static void Encode(BertModel encoder, int[][] ids, int[][]? types, Action<int, float[][]> use, CancellationToken cancellation)
    {
        for (int first = 0, end; first < ids.Length; first = end)
        {
            cancellation.ThrowIfCancellationRequested();
            var tokens = ids[first].Length;
            for (end = first + 1; end < ids.Length && tokens + ids[end].Length <= BatchTokens; end++) tokens += ids[end].Length;
            use(first, encoder.EncodeMany(new ArraySegment<int[]>(ids, first, end - first), types == null ? null : (IReadOnlyList<int[]>)new ArraySegment<int[]>(types, first, end - first)));
        }
    }
}
