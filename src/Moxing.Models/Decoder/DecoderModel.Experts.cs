using System.Numerics.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Decoder;

// The sparse mixture-of-experts feed-forward (llama.cpp's build_moe_ffn with softmax gating, transformers' *SparseMoeBlock).
public sealed partial class DecoderModel
{
    // llama.cpp clamps the sum of the chosen weights to the smallest normal half before dividing by it.
    private const float MinWeightSum = 6.103515625e-5f;

    // Marks an expert already chosen; probabilities are never negative, logits never −∞.
    private const float Taken = float.NegativeInfinity;

    /// <summary>
    /// Routes each of the <paramref name="n"/> tokens to its top-k experts, then runs every expert once on the tokens routed to
    /// it (one product per projection), adding its output times the token's weight; plus the gated shared expert if any. The
    /// experts and router read <paramref name="xn"/>, the feed-forward's normed input, unless they norm the
    /// <paramref name="stream"/> their own way (Gemma 4).
    /// </summary>
    private void Experts(MoeWeights m, ReadOnlySpan<float> stream, ReadOnlySpan<float> xn, int n, Span<float> output, BatchScratch s)
    {
        var moe = Options.Moe!;
        var scratch = s.Moe!;
        int h = Options.HiddenSize, experts = moe.ExpertCount, k = moe.ExpertsUsed;
        if (n == 1) m.RepackAll();
        var probabilities = scratch.Probabilities.AsSpan(0, n * experts);
        // The router's normed stream passes through Input, which the experts only fill later.
        Multiply(m.Router, Normed(m.RouterNorm, stream, xn, scratch.Input.AsSpan(0, n * h)), n, probabilities);
        var expertInput = Normed(m.ExpertNorm, stream, xn, scratch.Normed.AsSpan(0, m.ExpertNorm == null ? 0 : n * h));
        var start = scratch.ExpertStart.AsSpan();
        start.Clear();
        for (var t = 0; t < n; t++)
        {
            var chosen = scratch.Chosen.AsSpan(t * k, k);
            var weights = scratch.ChosenWeight.AsSpan(t * k, k);
            if (moe.SparseMixerJitter > 0) SparseMixer(probabilities.Slice(t * experts, experts), chosen, weights, moe.SparseMixerJitter);
            else if (moe.SigmoidOfChosenLogits) SigmoidOfChosen(probabilities.Slice(t * experts, experts), chosen, weights);
            else Route(probabilities.Slice(t * experts, experts), chosen, weights, moe, m.SelectionBias);
            if (m.ExpertScales is { } scales)
                for (var j = 0; j < k; j++) weights[j] *= scales[chosen[j]];
            foreach (var e in chosen) start[e + 1]++;
        }
        for (var e = 0; e < experts; e++) start[e + 1] += start[e];
        // Counting sort: each expert's tokens in token order (start[e] is advanced as they are placed, then restored).
        for (var t = 0; t < n; t++)
            for (var j = 0; j < k; j++)
            {
                var e = scratch.Chosen[t * k + j];
                var at = start[e]++;
                scratch.ExpertToken[at] = t;
                scratch.ExpertWeight[at] = scratch.ChosenWeight[t * k + j];
            }
        for (var e = experts; e > 0; e--) start[e] = start[e - 1];
        start[0] = 0;

        output[..(n * h)].Clear();
        for (var e = 0; e < experts; e++)
        {
            int first = start[e], count = start[e + 1] - first;
            if (count == 0) continue;
            var input = scratch.Input.AsSpan(0, count * h);
            for (var i = 0; i < count; i++)
            {
                var row = input.Slice(i * h, h);
                expertInput.Slice(scratch.ExpertToken[first + i] * h, h).CopyTo(row);
                if (moe.WeightsExpertInput) TensorPrimitives.Multiply(row, scratch.ExpertWeight[first + i], row);
            }
            var result = scratch.Output.AsSpan(0, count * h);
            Mlp(m.Experts[e], input, count, result, s);
            for (var i = 0; i < count; i++)
            {
                var row = output.Slice(scratch.ExpertToken[first + i] * h, h);
                TensorPrimitives.MultiplyAdd(result.Slice(i * h, h), moe.WeightsExpertInput ? 1f : scratch.ExpertWeight[first + i], row, row);
            }
        }
        m.ExpertPostNorm?.Apply(output[..(n * h)], output[..(n * h)]);
        if (m.Shared is not { } shared) return;
        var sharedOut = scratch.Output.AsSpan(0, n * h);
        Mlp(shared, xn, n, sharedOut, s);
        m.SharedPostNorm?.Apply(sharedOut, sharedOut);
        if (m.SharedGate == null)
        {
            TensorPrimitives.Add(output[..(n * h)], sharedOut, output[..(n * h)]);
            return;
        }
        var gate = scratch.SharedGate.AsSpan(0, n);
        Multiply(m.SharedGate, xn, n, gate);
        for (var t = 0; t < n; t++)
        {
            var row = output.Slice(t * h, h);
            TensorPrimitives.MultiplyAdd(sharedOut.Slice(t * h, h), 1f / (1f + MathF.Exp(-gate[t])), row, row);
        }
    }

    // The stream through a sparse layer's own norm into `into`, or the feed-forward's normed input where it has none.
    private static ReadOnlySpan<float> Normed(Norm? norm, ReadOnlySpan<float> stream, ReadOnlySpan<float> xn, Span<float> into)
    {
        if (norm == null) return xn;
        norm.Apply(stream[..into.Length], into);
        return into;
    }

    /// <summary>
    /// Scores of one token's router <paramref name="logits"/> (in place: softmax, or sigmoids by <see cref="MoeOptions.Gating"/>),
    /// then the <paramref name="chosen"/>.Length best experts, best first (a tie goes to the lower index) and only from the best
    /// groups when the experts are grouped, with their scores as weights: divided by their sum when
    /// <see cref="MoeOptions.NormalizeTopK"/>, then times <see cref="MoeOptions.RoutedScale"/>. A <paramref name="selectionBias"/>
    /// (ERNIE 4.5's and DeepSeek-V3's e_score_correction_bias, llama.cpp's exp_probs_b) is added to the scores for choosing only,
    /// not to the weights. The scores of the chosen experts and of those outside the best groups are overwritten (marked taken).
    /// </summary>
    internal static void Route(Span<float> logits, Span<int> chosen, Span<float> weights, MoeOptions moe, ReadOnlySpan<float> selectionBias = default)
    {
        if (moe.Gating == MoeGating.Sigmoid) TensorPrimitives.Sigmoid(logits, logits);
        else
        {
            var max = TensorPrimitives.Max(logits);
            TensorPrimitives.Subtract(logits, max, logits);
            TensorPrimitives.Exp(logits, logits);
            TensorPrimitives.Divide(logits, TensorPrimitives.Sum(logits), logits);
        }
        if (moe.ExpertGroups > 1) KeepBestGroups(logits, moe, selectionBias);
        var sum = 0f;
        for (var j = 0; j < chosen.Length; j++)
        {
            var best = Best(logits, selectionBias);
            chosen[j] = best;
            weights[j] = logits[best];
            logits[best] = Taken;
            sum += weights[j];
        }
        if (moe.NormalizeTopK) TensorPrimitives.Divide(weights, MathF.Max(sum, MinWeightSum), weights);
        if (moe.RoutedScale != 1f) TensorPrimitives.Multiply(weights, moe.RoutedScale, weights);
    }

    // Marks taken every expert outside the ExpertGroupsUsed best groups (ranked by GroupScore over score + bias; a tie goes to the
    // lower group), as llama.cpp masks them (transformers zeroes them, which chooses the same while any kept score is positive).
    private static void KeepBestGroups(Span<float> scores, MoeOptions moe, ReadOnlySpan<float> bias)
    {
        int groups = moe.ExpertGroups, size = scores.Length / groups;
        Span<float> rank = stackalloc float[groups];
        Span<bool> kept = stackalloc bool[groups];
        for (var g = 0; g < groups; g++)
        {
            float first = float.NegativeInfinity, second = float.NegativeInfinity;
            for (var e = g * size; e < (g + 1) * size; e++)
            {
                var score = bias.IsEmpty ? scores[e] : scores[e] + bias[e];
                if (score > first) (first, second) = (score, first);
                else if (score > second) second = score;
            }
            rank[g] = moe.GroupScore == MoeGroupScore.Max ? first : first + second;
        }
        for (var used = 0; used < moe.ExpertGroupsUsed; used++)
        {
            var best = -1;
            for (var g = 0; g < groups; g++)
                if (!kept[g] && (best < 0 || rank[g] > rank[best])) best = g;
            kept[best] = true;
        }
        for (var g = 0; g < groups; g++)
            if (!kept[g]) scores.Slice(g * size, size).Fill(Taken);
    }

    /// <summary>
    /// Llama 4's router over one token's <paramref name="logits"/>: the <paramref name="chosen"/>.Length largest (a tie goes to the
    /// lower index), each weighted by the sigmoid of its logit; the chosen logits are overwritten (marked taken).
    /// </summary>
    internal static void SigmoidOfChosen(Span<float> logits, Span<int> chosen, Span<float> weights)
    {
        for (var j = 0; j < chosen.Length; j++)
        {
            var best = Best(logits);
            chosen[j] = best;
            weights[j] = 1f / (1f + MathF.Exp(-logits[best]));
            logits[best] = Taken;
        }
    }

    /// <summary>
    /// transformers' sparsemixer at inference (Phi-3.5-MoE) over one token's router <paramref name="logits"/>: in each round the
    /// largest logit m left (a tie goes to the lower index) is chosen, weighted by exp(m) over the sum of exp(s) of the experts
    /// left with (m − s) / max(|s|, m) ≤ 2·<paramref name="jitter"/>; the chosen logits are overwritten (marked taken).
    /// </summary>
    internal static void SparseMixer(Span<float> logits, Span<int> chosen, Span<float> weights, float jitter)
    {
        for (var j = 0; j < chosen.Length; j++)
        {
            var best = Best(logits);
            var max = logits[best];
            var sum = 0f;
            foreach (var s in logits)
                if (s != Taken && !((max - s) / MathF.Max(MathF.Abs(s), max) > 2 * jitter)) sum += MathF.Exp(s - max);
            chosen[j] = best;
            weights[j] = 1f / sum;
            logits[best] = Taken;
        }
    }

    // The index of the largest value not yet taken, plus its bias where one is given (a tie goes to the lower index).
    private static int Best(ReadOnlySpan<float> values, ReadOnlySpan<float> bias = default)
    {
        var best = -1;
        var bestScore = 0f;
        for (var e = 0; e < values.Length; e++)
        {
            if (values[e] == Taken) continue;
            var score = bias.IsEmpty ? values[e] : values[e] + bias[e];
            if (best < 0 || score > bestScore) (best, bestScore) = (e, score);
        }
        return best;
    }
}
