using Moxing.Core;

namespace Moxing.Models.Decoder;

/// <summary>Gathers the slices of one forward step into the scratch, checking everything a step can fail on before anything changes.</summary>
internal ref struct BatchStep(DecoderModel model, BatchScratch s)
{
    private int _slices;
    private int _tokens;
    private int _rows;

    public void Add(SequenceKv sequence, ReadOnlySpan<int> tokens, LogitsWanted wanted, IReadOnlyList<EmbeddedSpan>? spans = null)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var o = model.Options;
        var pool = sequence.Pool;
        if (!pool.Fits(o))
            throw new ArgumentException($"the KV pool holds {pool.LayerCount} layers of {Describe(pool.Shapes)}, the model needs {o.KvLayerCount} of {Describe(o.KvLayerShapes())}");
        if ((pool.States?.FloatsPerSlot ?? 0) != o.RecurrentStateFloats)
            throw new ArgumentException($"the KV pool keeps {pool.States?.FloatsPerSlot ?? 0} floats of recurrent state per sequence, the model needs {o.RecurrentStateFloats}");
        if (tokens.IsEmpty) throw new ArgumentException($"slice {_slices} has no tokens");
        if (_tokens + tokens.Length > s.Tokens)
            throw new ArgumentException($"the step has more than the {s.Tokens} tokens its scratch holds");
        for (var i = 0; i < _slices; i++)
            if (ReferenceEquals(s.Sequences[i], sequence)) throw new ArgumentException($"slices {i} and {_slices} extend the same sequence");
        var start = sequence.Length;
        if (start + tokens.Length > sequence.Capacity)
            throw new MoxingException($"context full: {start + tokens.Length} positions exceed the context of {sequence.Capacity}");
        if (model.Weights.PositionEmbedding is { } learned && start + tokens.Length > learned.RowCount)
            throw new MoxingException($"position {start + tokens.Length - 1} is beyond the model's {learned.RowCount} learned positions");
        for (var t = 0; t < tokens.Length; t++)
        {
            var id = tokens[t];
            if ((uint)id >= (uint)o.VocabSize)
                throw new MoxingException($"token id {id} is out of range: the vocabulary has {o.VocabSize} tokens");
            s.Ids[_tokens + t] = id;
            s.Positions[_tokens + t] = start + t;
            s.VisibleTo[_tokens + t] = start + t;
            s.SliceOf[_tokens + t] = _slices;
        }
        if (spans != null) Embed(spans, start, tokens.Length);
        if (o.Rope?.Sections != null) MropePositions(spans, start, tokens.Length);
        s.Sequences[_slices] = sequence;
        s.SliceRope[_slices] = model.RopeFor(o.Rope, sequence.Capacity);
        s.SliceSlidingRope[_slices] = model.RopeFor(o.SlidingRope, sequence.Capacity);
        s.SliceStart[_slices] = _tokens;
        s.SliceLogits[_slices] = wanted;
        _slices++;
        _tokens += tokens.Length;
        s.SliceStart[_slices] = _tokens;
        _rows += wanted switch { LogitsWanted.None => 0, LogitsWanted.Last => 1, _ => tokens.Length };
    }

    // Marks the step's tokens that spans replace; a bidirectional span must lie whole in the step (its tokens see each other).
    private readonly void Embed(IReadOnlyList<EmbeddedSpan> spans, int start, int count)
    {
        var h = model.Options.HiddenSize;
        foreach (var span in spans)
        {
            int from = Math.Max(span.Position, start), to = Math.Min(span.End, start + count);
            if (from >= to) continue;
            if (span.Rows.Length != span.Length * h)
                throw new ArgumentException($"the span at position {span.Position} holds {span.Rows.Length} values, not {span.Length} rows of {h}");
            if (span.Bidirectional && span.End > start + count)
                throw new ArgumentException($"the bidirectional span [{span.Position}, {span.End}) ends after the step's last position {start + count - 1}");
            for (var p = from; p < to; p++)
            {
                s.Embedded[_tokens + p - start] = span;
                if (span.Bidirectional) s.VisibleTo[_tokens + p - start] = span.End - 1;
            }
        }
    }

    // transformers' get_rope_index: a text token's three positions are its index less what the grids before it saved (each takes
    // max(rows, columns) positions for its rows · columns tokens); a grid token's are the grid's first position plus (0, row, column).
    // Stateless, from every span of the sequence (callers pass them on every step), so truncation and shared prefixes stay right.
    private readonly void MropePositions(IReadOnlyList<EmbeddedSpan>? spans, int start, int count)
    {
        var rotary = s.RotaryPositions.AsSpan(3 * _tokens, 3 * count);
        int saved = 0, next = 0;
        for (var t = 0; t < count; t++)
        {
            var p = start + t;
            // Grids that end at or before p shift it back by what they saved.
            while (spans != null && next < spans.Count && spans[next].End <= p)
            {
                if (next > 0 && spans[next].Position < spans[next - 1].End)
                    throw new ArgumentException($"the spans at positions {spans[next - 1].Position} and {spans[next].Position} are out of order or overlap; M-RoPE positions need them sorted");
                if (spans[next].GridWidth > 0) saved += spans[next].Length - spans[next].RotaryExtent;
                next++;
            }
            var at = p - saved;
            if (spans != null && next < spans.Count && spans[next] is { GridWidth: > 0 } grid && p >= grid.Position)
            {
                var first = grid.Position - saved;
                var i = p - grid.Position;
                (rotary[3 * t], rotary[3 * t + 1], rotary[3 * t + 2]) = (first, first + i / grid.GridWidth, first + i % grid.GridWidth);
            }
            else (rotary[3 * t], rotary[3 * t + 1], rotary[3 * t + 2]) = (at, at, at);
        }
    }

    public readonly int Run(Span<float> logits, bool hidden = false)
    {
        try
        {
            var width = hidden ? model.Options.HiddenSize : model.Options.VocabSize;
            if (logits.Length < (long)_rows * width)
                throw new ArgumentException($"the output holds {logits.Length} floats; {_rows} rows of {width} are needed", nameof(logits));
            Reserve();
            model.Run(s, _slices, _tokens, logits[..(_rows * width)], hidden);
            for (var i = 0; i < _slices; i++) s.Sequences[i]!.Advance(s.SliceStart[i + 1] - s.SliceStart[i]);
            return _rows;
        }
        finally
        {
            s.Sequences.AsSpan(0, _slices).Clear();
            s.SliceRope.AsSpan(0, _slices).Clear();
            s.SliceSlidingRope.AsSpan(0, _slices).Clear();
            s.Embedded.AsSpan(0, _tokens).Clear();
        }
    }

    // All or nothing: a slice that cannot get its blocks gives back those reserved for the slices before it.
    private readonly void Reserve()
    {
        for (var i = 0; i < _slices; i++)
        {
            try
            {
                s.Sequences[i]!.Reserve(s.SliceStart[i + 1] - s.SliceStart[i]);
            }
            catch (KvPoolExhaustedException)
            {
                for (var j = 0; j < i; j++) s.Sequences[j]!.Truncate(s.Sequences[j]!.Length);
                throw;
            }
        }
    }

    // The distinct layer shapes of a pool or model, as heads × key width (values width, in the keys for MLA).
    private static string Describe(IEnumerable<KvLayerShape> shapes) => string.Join(" / ", shapes.Distinct().Select(k =>
        $"{k.KvHeads} heads × {k.HeadDim} (values {k.ValueDim}{(k.ValuesInKeys ? " in the keys" : "")})"));
}
