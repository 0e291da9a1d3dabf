using Moxing.Core;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Inference.Sessions;

/// <summary>
/// One sequence being decoded: a KV cache, activation buffers and logits, all allocated when the session is created,
/// so prefill and every decode step allocate nothing. The single-sequence case of <see cref="DecoderModel.ForwardBatch"/>.
/// </summary>
public sealed class InferenceSession
{
    private readonly DecoderModel _model;
    private readonly KvCache _cache;
    private readonly BatchScratch _scratch;
    private readonly float[] _logits;
    private readonly int[] _single = new int[1];

    /// <summary>Positions already in the cache.</summary>
    public int Position => _cache.Sequence.Length;

    /// <summary>Positions the session can hold.</summary>
    public int Context => _cache.Capacity;

    /// <summary>The model this session runs.</summary>
    public DecoderModel Model => _model;

    /// <summary>How the KV cache stores keys and values (F16, Q8_0 or F32).</summary>
    public DType KvType => _cache.Pool.Type;

    /// <summary>Tokens per prefill chunk unless a session is given another, and the scheduler's default step budget
    /// (<c>SchedulerOptions.PrefillChunkTokens</c>): a prompt prefills at the same width in `moxing run` as in the server.</summary>
    public const int DefaultPrefillChunk = 256;

    /// <summary>Bytes held by the KV cache.</summary>
    public long KvBytes => _cache.Bytes;

    /// <summary>
    /// Creates a session for <paramref name="context"/> positions, prefilling in chunks of <paramref name="chunk"/> tokens,
    /// with keys and values stored as <paramref name="kvType"/> (F16 halves the memory of F32; Q8_0 quarters it).
    /// </summary>
    public InferenceSession(DecoderModel model, int context, int chunk = DefaultPrefillChunk, DType kvType = DType.F16)
    {
        if (context < 1) throw new ArgumentOutOfRangeException(nameof(context), "context must be at least 1");
        _model = model;
        _cache = model.CreateCache(context, kvType);
        _scratch = model.CreateScratch(Math.Min(chunk, context));
        _logits = new float[model.Options.VocabSize];
    }

    /// <summary>
    /// Image embeddings in place of placeholder tokens, by absolute position (sorted), for the positions fed from now on; a
    /// bidirectional span is fed in one chunk, so the session's chunk must hold it. Empty: text only.
    /// </summary>
    public IReadOnlyList<EmbeddedSpan> Spans { get; set; } = [];

    /// <summary>Feeds <paramref name="ids"/> and returns the logits after the last one (valid until the next call).</summary>
    public Span<float> Prefill(ReadOnlySpan<int> ids)
    {
        Feed(ids, _logits, allLogits: false);
        return _logits;
    }

    /// <summary>Feeds <paramref name="ids"/> and writes the logits of every position ([n, vocab]) into <paramref name="logits"/>.</summary>
    public void PrefillAll(ReadOnlySpan<int> ids, Span<float> logits) => Feed(ids, logits, allLogits: true);

    // Runs the ids through the model in chunks; every chunk writes its rows of logits, or the last one overwrites [vocab].
    private void Feed(ReadOnlySpan<int> ids, Span<float> logits, bool allLogits)
    {
        EnsureRoom(ids.Length);
        var vocab = _model.Options.VocabSize;
        for (var start = 0; start < ids.Length;)
        {
            var chunk = ids.Slice(start, ChunkLength(Position, Math.Min(_scratch.Tokens, ids.Length - start)));
            var target = allLogits ? logits.Slice(start * vocab, chunk.Length * vocab) : logits;
            _model.Forward(chunk, _cache.Sequence, _scratch, target, allLogits, Spans.Count > 0 ? Spans : null);
            start += chunk.Length;
        }
    }

    // A chunk of up to n positions from `position` that ends before a bidirectional span it would cut, or holds a span starting in it whole.
    private int ChunkLength(int position, int n)
    {
        foreach (var span in Spans)
        {
            if (!span.Bidirectional || span.End <= position + n || span.Position >= position + n || span.End <= position) continue;
            if (span.Position > position) return span.Position - position;
            throw new MoxingException($"an image of {span.Length} tokens does not fit the session's prefill chunk of {_scratch.Tokens} tokens");
        }
        return n;
    }

    /// <summary>Feeds one generated token and returns the next logits.</summary>
    public Span<float> Decode(int id)
    {
        _single[0] = id;
        return Prefill(_single);
    }

    /// <summary>
    /// The longest prefix of the first <paramref name="position"/> positions a <see cref="Rewind"/> can keep: all of them, but for
    /// a model with recurrent layers (LFM2, Mamba2), whose state cannot go back, none unless nothing would be forgotten.
    /// </summary>
    public int RewindPoint(int position) =>
        _cache.Pool.States == null || position == Position ? position : 0;

    /// <summary>Forgets every position from <paramref name="position"/> on (0 resets the session; see <see cref="RewindPoint"/>).</summary>
    public void Rewind(int position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, Position);
        _cache.Sequence.Truncate(position);
    }

    private void EnsureRoom(int count)
    {
        if (count == 0) throw new MoxingException("nothing to feed: the prompt is empty");
        if (Position + count > Context)
            throw new ContextOverflowException(Position + count, Context);
    }
}

/// <summary>A prompt (plus generated tokens) longer than the context; never silently truncated.</summary>
public sealed class ContextOverflowException(int needed, int context)
    : MoxingException($"the prompt needs {needed} positions but the context holds {context}; shorten it or raise the context size")
{
    /// <summary>Positions the request needed.</summary>
    public int Needed { get; } = needed;

    /// <summary>Positions available.</summary>
    public int ContextSize { get; } = context;
}
