using System.Numerics.Tensors;

namespace Moxing.Models.Decoder;

// Gemma 3n: AltUp's streams around every layer, the Laurel block beside attention, the gaussian top-k of the MLP's gate
// (transformers' Gemma3nTextModel, Gemma3nTextAltUp, Gemma3nTextLaurelBlock, Gemma3nTextMLP). Streams are [stream, token, hidden].
public sealed partial class DecoderModel
{
    // Stream 0 is the embeddings, stream k + 1 their projection k scaled to their RMS.
    private void SpreadStreams(AltUpStreamWeights w, BatchScratch s, int n, ReadOnlySpan<float> x)
    {
        var nh = n * Options.HiddenSize;
        x.CopyTo(s.AltUpStreams);
        for (var k = 1; k <= w.Projections.Length; k++)
        {
            var stream = s.AltUpStreams.AsSpan(k * nh, nh);
            Multiply(w.Projections[k - 1], x, n, stream);
            MatchMagnitudes(x, stream, n);
        }
    }

    // Back to one stream before the final norm: the mean of stream 0 and the others through their unembeddings, scaled to stream 0's RMS.
    private void MergeStreams(AltUpStreamWeights w, BatchScratch s, int n, Span<float> x)
    {
        var nh = n * Options.HiddenSize;
        var first = s.AltUpStreams.AsSpan(0, nh);
        first.CopyTo(x);
        var unembedded = s.Projected.AsSpan(0, nh);
        for (var k = 1; k <= w.Unembeddings.Length; k++)
        {
            Multiply(w.Unembeddings[k - 1], s.AltUpStreams.AsSpan(k * nh, nh), n, unembedded);
            MatchMagnitudes(first, unembedded, n);
            TensorPrimitives.Add(x, unembedded, x);
        }
        TensorPrimitives.Multiply(x, 1f / (w.Unembeddings.Length + 1), x);
    }

    // Each token's row of `rows` times rms(its row of `target`) / sqrt(max(mean(rows²), 1e-5)).
    private void MatchMagnitudes(ReadOnlySpan<float> target, Span<float> rows, int n)
    {
        var h = Options.HiddenSize;
        for (var t = 0; t < n; t++)
        {
            var row = rows.Slice(t * h, h);
            var wanted = MathF.Sqrt(TensorPrimitives.SumOfSquares(target.Slice(t * h, h)) / h);
            var had = MathF.Sqrt(MathF.Max(TensorPrimitives.SumOfSquares(row) / h, 1e-5f));
            TensorPrimitives.Multiply(row, wanted / had, row);
        }
    }

    // Every stream's prediction: itself plus Σ_r coefs[c · streams + r] · stream r, coefs = prediction_coefs · tanh(router(active));
    // the layer then runs on the active stream's prediction, copied to x.
    private void Predict(AltUpWeights w, BatchScratch s, int n, Span<float> x)
    {
        var (h, k, active) = (Options.HiddenSize, Options.AltUp!.Streams, Options.AltUp.ActiveStream);
        var nh = n * h;
        Route(w, s.AltUpStreams.AsSpan(active * nh, nh), n, s);
        var coefficients = s.AltUpCoefficients.AsSpan(0, n * k * k);
        Coefficients(w.PredictionCoefficients, k * k, k, s.AltUpRouted, n, coefficients);
        for (var c = 0; c < k; c++)
        {
            var prediction = s.AltUpPredictions.AsSpan(c * nh, nh);
            s.AltUpStreams.AsSpan(c * nh, nh).CopyTo(prediction);
            for (var t = 0; t < n; t++)
                for (var r = 0; r < k; r++)
                {
                    var row = prediction.Slice(t * h, h);
                    TensorPrimitives.MultiplyAdd(s.AltUpStreams.AsSpan(r * nh + t * h, h), coefficients[t * k * k + c * k + r], row, row);
                }
        }
        s.AltUpPredictions.AsSpan(active * nh, nh).CopyTo(x);
    }

    // Every stream becomes its prediction plus (1 + correction_coefs · tanh(router(x)))[c] times the innovation, x less the active prediction.
    private void Correct(AltUpWeights w, BatchScratch s, int n, ReadOnlySpan<float> x)
    {
        var (h, k, active) = (Options.HiddenSize, Options.AltUp!.Streams, Options.AltUp.ActiveStream);
        var nh = n * h;
        Route(w, x, n, s);
        var coefficients = s.AltUpCoefficients.AsSpan(0, n * k);
        Coefficients(w.CorrectionCoefficients, k, k, s.AltUpRouted, n, coefficients);
        var innovation = s.Projected.AsSpan(0, nh);
        TensorPrimitives.Subtract(x, s.AltUpPredictions.AsSpan(active * nh, nh), innovation);
        for (var c = 0; c < k; c++)
        {
            var stream = s.AltUpStreams.AsSpan(c * nh, nh);
            s.AltUpPredictions.AsSpan(c * nh, nh).CopyTo(stream);
            for (var t = 0; t < n; t++)
            {
                var row = stream.Slice(t * h, h);
                TensorPrimitives.MultiplyAdd(innovation.Slice(t * h, h), coefficients[t * k + c] + 1, row, row);
            }
        }
    }

    // tanh(router(norm(stream) / hidden)) per token, into AltUpRouted [n, streams].
    private void Route(AltUpWeights w, ReadOnlySpan<float> stream, int n, BatchScratch s)
    {
        var h = Options.HiddenSize;
        var normed = s.Normed.AsSpan(0, n * h);
        w.RouterNorm.Apply(stream, normed);
        TensorPrimitives.Multiply(normed, 1f / h, normed);
        var routed = s.AltUpRouted.AsSpan(0, n * w.Router.OutFeatures);
        Multiply(w.Router, normed, n, routed);
        TensorPrimitives.Tanh(routed, routed);
    }

    // coefficients[t, j] = Σ_i matrix[j, i] · routed[t, i], for a [rows, cols] matrix.
    private static void Coefficients(float[] matrix, int rows, int cols, ReadOnlySpan<float> routed, int n, Span<float> coefficients)
    {
        for (var t = 0; t < n; t++)
            for (var j = 0; j < rows; j++)
                coefficients[t * rows + j] = TensorPrimitives.Dot(matrix.AsSpan(j * cols, cols), routed.Slice(t * cols, cols));
    }

    // What the per-layer input gate reads under AltUp: the corrected active stream, times correct_output_scale where applied, in Normed.
    private ReadOnlySpan<float> CorrectedActive(AltUpWeights w, BatchScratch s, int n)
    {
        var h = Options.HiddenSize;
        var nh = n * h;
        var active = s.AltUpStreams.AsSpan(Options.AltUp!.ActiveStream * nh, nh);
        if (w.CorrectOutputScale is not { } scale) return active;
        var scaled = s.Normed.AsSpan(0, nh);
        for (var t = 0; t < n; t++) TensorPrimitives.Multiply(active.Slice(t * h, h), scale, scaled.Slice(t * h, h));
        return scaled;
    }

    // Laurel beside the attention: normed + norm(right(left(normed))), into s.Laurel.
    private void Laurel(LaurelWeights w, ReadOnlySpan<float> xn, int n, BatchScratch s)
    {
        var middle = s.Gate.AsSpan(0, n * w.Left.OutFeatures);
        var output = s.Laurel.AsSpan(0, n * Options.HiddenSize);
        Multiply(w.Left, xn, n, middle);
        Multiply(w.Right, middle, n, output);
        w.PostNorm.Apply(output, output);
        TensorPrimitives.Add(output, xn, output);
    }

    // The stream after attention averaged with Laurel's output: (x + laurel) / sqrt(2).
    private static void AddLaurel(Span<float> x, BatchScratch s)
    {
        TensorPrimitives.Add(x, s.Laurel.AsSpan(0, x.Length), x);
        TensorPrimitives.Multiply(x, 1 / MathF.Sqrt(2), x);
    }

    // Gemma3nTextMLP._gaussian_topk: each token's gate row less (mean + multiplier · std), std over the row's own values, clamped at 0.
    private static void GaussianTopK(Span<float> gate, int n, int width, float multiplier)
    {
        for (var t = 0; t < n; t++)
        {
            var row = gate.Slice(t * width, width);
            var mean = TensorPrimitives.Sum(row) / width;
            var squares = 0.0;
            foreach (var v in row) squares += (double)(v - mean) * (v - mean);
            var cutoff = mean + (float)Math.Sqrt(squares / width) * multiplier;
            TensorPrimitives.Subtract(row, cutoff, row);
            TensorPrimitives.Max(row, 0f, row);
        }
    }
}
