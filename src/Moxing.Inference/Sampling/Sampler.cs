using System.Numerics.Tensors;

namespace Moxing.Inference.Sampling;

/// <summary>
/// Chooses tokens from logits: penalties, then temperature, top-k, top-p, min-p, then a seeded draw (the order of
/// transformers' logits processors). All buffers are allocated once per sampler, so sampling allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly int[] _counts;
    private readonly bool[] _seenInPrompt;
    private readonly int[] _touched;
    private int _touchedCount;
    private readonly int[] _order;
    private readonly float[] _probs;
    private readonly float[] _spanSums;
    private readonly Random _random;
    private readonly int[] _biasIds;
    private readonly float[] _biasValues;
    private readonly PenaltyWindow? _window;

    /// <summary>A sampler for a vocabulary of <paramref name="vocabSize"/> tokens.</summary>
    public Sampler(SamplingOptions options, int vocabSize)
    {
        options.Validate();
        _options = options;
        _counts = new int[vocabSize];
        _seenInPrompt = new bool[vocabSize];
        _touched = new int[vocabSize];
        _order = new int[vocabSize];
        _probs = new float[vocabSize];
        _spanSums = new float[(vocabSize + DrawSpan - 1) / DrawSpan];
        _biasIds = options.LogitBias is { } bias ? [.. bias.Keys] : [];
        _biasValues = options.LogitBias is { } values ? [.. values.Values] : [];
        foreach (var id in _biasIds)
            if (id >= vocabSize) throw new ArgumentException($"logit_bias token id {id} is outside the vocabulary (size {vocabSize})");
        _window = options.PenaltyWindow > 0 && options.HasPenalties ? new PenaltyWindow(options.PenaltyWindow, vocabSize) : null;
        _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    }

    /// <summary>Records prompt tokens (they count for the repetition penalty, not for presence/frequency).</summary>
    public void ObservePrompt(ReadOnlySpan<int> ids)
    {
        if (_window != null)
        {
            // only the window's last tokens can count
            foreach (var id in ids[Math.Max(0, ids.Length - _options.PenaltyWindow)..])
                if ((uint)id < (uint)_counts.Length) _window.Push(id);
            return;
        }
        foreach (var id in ids)
            if ((uint)id < (uint)_seenInPrompt.Length) _seenInPrompt[id] = true;
    }

    /// <summary>Records a generated token.</summary>
    public void Observe(int id)
    {
        if (_window != null)
        {
            _window.Push(id);
            return;
        }
        if (_counts[id]++ == 0) _touched[_touchedCount++] = id;
    }

    /// <summary>Picks the next token; <paramref name="logits"/> is modified in place (bias, penalties, temperature).</summary>
    public int Sample(Span<float> logits)
    {
        for (var i = 0; i < _biasIds.Length; i++)
            if (_biasIds[i] < logits.Length) logits[_biasIds[i]] += _biasValues[i];
        ApplyPenalties(logits);
        if (_options.IsGreedy) return TensorPrimitives.IndexOfMax(logits);
        TensorPrimitives.Multiply(logits, 1f / _options.Temperature, logits);
        if (_options.TopK <= 0 && _options.TopP >= 1f && _options.MinP <= 0f) return DrawFromAll(logits);
        var n = Candidates(logits);
        var r = _random.NextDouble();
        double acc = 0;
        for (var i = 0; i < n; i++)
        {
            acc += _probs[i];
            if (r < acc) return _order[i];
        }
        return _order[n - 1];
    }

    // Tokens per partial sum of the draw's scan: whole spans are skipped by their sum, so the scan costs O(vocab / span).
    private const int DrawSpan = 256;

    // Plain temperature sampling: every token weighs e^(logit - max), in index order; one vectorised pass computes the
    // weights, then the scan skips whole spans by their sums. No candidate list and no normalising pass: on a 152k-token
    // vocabulary this is a fraction of a millisecond, where filtering and normalising took milliseconds.
    private int DrawFromAll(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        if (!float.IsFinite(max)) throw new InvalidOperationException("the model produced non-finite logits");
        var weights = _probs.AsSpan(0, logits.Length);
        TensorPrimitives.Subtract(logits, max, weights);
        TensorPrimitives.Exp(weights, weights);
        var spans = (weights.Length + DrawSpan - 1) / DrawSpan;
        var sums = _spanSums.AsSpan(0, spans);
        double total = 0;
        for (var j = 0; j < spans; j++)
            total += sums[j] = TensorPrimitives.Sum(weights.Slice(j * DrawSpan, Math.Min(DrawSpan, weights.Length - j * DrawSpan)));
        var target = _random.NextDouble() * total;
        double acc = 0;
        for (var j = 0; j < spans; j++)
        {
            if (acc + sums[j] <= target)
            {
                acc += sums[j];
                continue;
            }
            var end = Math.Min(weights.Length, (j + 1) * DrawSpan);
            // acc ≤ target on entering the span, so the token that carries it past the target has a positive weight
            for (var i = j * DrawSpan; i < end; i++)
                if (target < (acc += weights[i])) return i;
        }
        // rounding left the target at the very end: the last token that can be drawn
        var last = weights.Length - 1;
        while (weights[last] <= 0) last--;
        return last;
    }

    private void ApplyPenalties(Span<float> logits)
    {
        if (_window != null)
        {
            _window.Apply(logits, _options.RepetitionPenalty, _options.PresencePenalty, _options.FrequencyPenalty);
            return;
        }
        var rep = _options.RepetitionPenalty;
        if (rep != 1f)
            for (var id = 0; id < logits.Length; id++)
                if (_seenInPrompt[id] || _counts[id] > 0)
                    logits[id] = logits[id] > 0 ? logits[id] / rep : logits[id] * rep;
        if (_options.PresencePenalty == 0f && _options.FrequencyPenalty == 0f) return;
        for (var i = 0; i < _touchedCount; i++)
        {
            var id = _touched[i];
            logits[id] -= _options.FrequencyPenalty * _counts[id] + _options.PresencePenalty;
        }
    }

    // Tokens this far below the best logit carry under e^-40 of its probability each: dropping them before the sort
    // changes no draw in practice and keeps sampling O(candidates·log) instead of O(vocab·log).
    private const float NegligibleLogitGap = 40f;

    // Fills _order/_probs with the surviving tokens, most likely first, probabilities normalised; returns their count.
    // Quickselect: afterwards keys[0..k) hold the k smallest keys (any order), items moved alongside.
    private static void SelectSmallest(Span<float> keys, Span<int> items, int k)
    {
        int lo = 0, hi = keys.Length - 1;
        while (lo < hi)
        {
            var pivot = keys[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (keys[i] < pivot) i++;
                while (keys[j] > pivot) j--;
                if (i > j) break;
                (keys[i], keys[j]) = (keys[j], keys[i]);
                (items[i], items[j]) = (items[j], items[i]);
                i++;
                j--;
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else return;
        }
    }

    private int Candidates(ReadOnlySpan<float> logits)
    {
        var max = TensorPrimitives.Max(logits);
        var floor = max - NegligibleLogitGap;
        var n = 0;
        for (var i = 0; i < logits.Length; i++)
            if (logits[i] >= floor)
            {
                _order[n] = i;
                _probs[n++] = -logits[i];
            }
        if (n == 0) throw new InvalidOperationException("the model produced non-finite logits");
        var k = _options.TopK > 0 ? Math.Min(_options.TopK, n) : n;
        // With top-k, only the k best matter: partition them to the front in O(n).
        if (k < n) SelectSmallest(_probs.AsSpan(0, n), _order.AsSpan(0, n), k);
        var kept = _options.TopP < 1f ? Nucleus(k, max) : k;
        var probs = _probs.AsSpan(0, kept);
        // keys are -logit: p = e^(logit - max), 1 for the best token
        TensorPrimitives.Add(probs, max, probs);
        TensorPrimitives.Negate(probs, probs);
        TensorPrimitives.Exp(probs, probs);
        if (_options.MinP > 0f)
        {
            var threshold = _options.MinP;
            var survivors = 0;
            for (var i = 0; i < kept; i++)
                if (_probs[i] >= threshold)
                {
                    _order[survivors] = _order[i];
                    _probs[survivors++] = _probs[i];
                }
            kept = survivors;
        }
        double total = 0;
        for (var i = 0; i < kept; i++) total += _probs[i];
        for (var i = 0; i < kept; i++) _probs[i] = (float)(_probs[i] / total);
        return kept;
    }

    // Orders the k candidates best first only as far as top-p needs: chunks of growing size are selected and sorted
    // until their mass reaches TopP, so a flat distribution over the whole vocabulary costs O(vocab), not a full sort.
    private int Nucleus(int k, float max)
    {
        Span<float> keys = _probs.AsSpan(0, k);
        Span<int> items = _order.AsSpan(0, k);
        double sum = 0;
        foreach (var key in keys) sum += MathF.Exp(-key - max);
        double acc = 0;
        var done = 0;
        while (done < k)
        {
            var m = Math.Min(k - done, Math.Max(64, done));
            if (done + m < k) SelectSmallest(keys[done..], items[done..], m);
            keys.Slice(done, m).Sort(items.Slice(done, m));
            for (var i = done; i < done + m; i++)
            {
                acc += MathF.Exp(-keys[i] - max) / sum;
                if (acc >= _options.TopP) return i + 1;
            }
            done += m;
        }
        return k;
    }
}
