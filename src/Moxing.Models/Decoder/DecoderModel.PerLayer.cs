using System.Numerics.Tensors;
using Moxing.Core.Ops;
using Moxing.Core.Quantization;

namespace Moxing.Models.Decoder;

// Per-layer inputs (Gemma 3n, Gemma 4): every layer gets a slice of a token table plus a projection of the embeddings, and adds
// proj(act(gate(x)) · slice), normed, to the stream after its MLP.
public sealed partial class DecoderModel
{
    // inputs[t, l] = (norm(proj(x_t) / sqrt(hidden))_l + table[id_t]_l · sqrt(width)) / sqrt(2), for every layer l at once.
    private void PerLayerInputs(PerLayerEmbeddingWeights w, BatchScratch s, int n, ReadOnlySpan<float> x)
    {
        var o = Options;
        var all = o.LayerCount * o.PerLayerInputSize;
        var inputs = s.PerLayerInputs.AsSpan(0, n * all);
        Multiply(w.ModelProjection, x, n, inputs);
        TensorPrimitives.Multiply(inputs, 1 / MathF.Sqrt(o.HiddenSize), inputs);
        w.ProjectionNorm.Apply(inputs, inputs);
        var row = s.PerLayerRow.AsSpan();
        var tableScale = MathF.Sqrt(o.PerLayerInputSize);
        for (var t = 0; t < n; t++)
        {
            // Gemma 3n's table may stop short of the vocabulary: the ids past it read row 0 (Gemma3nModel.get_per_layer_inputs).
            var id = s.Ids[t] < w.TokenTable.Shape[0] ? s.Ids[t] : 0;
            Dequantizer.Dequantize(w.TokenTable.Type, w.TokenTable.Row(id), row);
            var input = inputs.Slice(t * all, all);
            TensorPrimitives.MultiplyAdd(row, tableScale, input, input);
        }
        TensorPrimitives.Multiply(inputs, 1 / MathF.Sqrt(2), inputs);
    }

    // x += norm(proj(act(gate(x)) · inputs[·, layer])); under AltUp (Gemma 3n) the gate reads the corrected active stream and
    // every stream but the first gets the sum.
    private void AddPerLayerInput(PerLayerInputWeights w, AltUpWeights? altUp, int layer, BatchScratch s, int n, Span<float> x)
    {
        var o = Options;
        int width = o.PerLayerInputSize, all = o.LayerCount * width;
        Span<float> gate = s.Gate.AsSpan(0, n * width), input = s.Up.AsSpan(0, n * width);
        Multiply(w.Gate, altUp != null ? CorrectedActive(altUp, s, n) : x, n, gate);
        for (var t = 0; t < n; t++) s.PerLayerInputs.AsSpan(t * all + layer * width, width).CopyTo(input.Slice(t * width, width));
        Activations.Gated(o.Activation, gate, input);
        var projected = s.Projected.AsSpan(0, n * o.HiddenSize);
        Multiply(w.Projection, gate, n, projected);
        w.PostNorm.Apply(projected, projected);
        if (altUp == null)
        {
            TensorPrimitives.Add(x, projected, x);
            return;
        }
        for (var k = 1; k < o.AltUp!.Streams; k++)
        {
            var stream = s.AltUpStreams.AsSpan(k * projected.Length, projected.Length);
            TensorPrimitives.Add(stream, projected, stream);
        }
    }
}
