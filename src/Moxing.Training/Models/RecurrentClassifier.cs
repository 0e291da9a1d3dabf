using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;
using Moxing.Nn.Recurrent;

namespace Moxing.Training.Models;

/// <summary>
/// Text classifier: embeddings → a (multi-layer, optionally bidirectional) RNN, LSTM or GRU → the mean of its
/// outputs over the real tokens → a linear layer to the classes.
/// </summary>
public sealed class RecurrentClassifier : Layer
{
    private readonly int _padId;
    private readonly Embedding _embedding;
    private readonly Recurrent _rnn;
    private readonly Dropout _dropout;
    private readonly Linear _head;

    /// <summary>Builds the classifier; <paramref name="kind"/> is rnn, lstm or gru.</summary>
    public RecurrentClassifier(string kind, ModelInput input, int dim, int layers, bool bidirectional, float dropout, int padId, Random rng)
    {
        _padId = padId;
        _embedding = RegisterModule("embedding", new Embedding(input.VocabularySize, dim, padId, rng));
        var between = layers > 1 ? dropout : 0f;
        _rnn = RegisterModule("rnn", kind switch
        {
            "rnn" => (Recurrent)new RNN(dim, dim, layers, batchFirst: true, dropout: between, bidirectional: bidirectional, rng: rng),
            "lstm" => new LSTM(dim, dim, layers, batchFirst: true, dropout: between, bidirectional: bidirectional, rng: rng),
            "gru" => new GRU(dim, dim, layers, batchFirst: true, dropout: between, bidirectional: bidirectional, rng: rng),
            _ => throw new MoxingException($"unknown recurrent model '{kind}'"),
        });
        _dropout = RegisterModule("dropout", new Dropout(dropout, rng));
        _head = RegisterModule("head", new Linear(dim * (bidirectional ? 2 : 1), input.Outputs, rng: rng));
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        var tokens = new TokenBatch(input, _padId);
        var states = _rnn.Forward(_embedding.Forward(tokens.Ids, tokens.Batch, tokens.Length)).Output;
        return _head.Forward(_dropout.Forward(tokens.MeanPool(states)));
    }
}
