namespace Moxing.Inference.Sampling;

/// <summary>
/// The last tokens of prompt and reply that penalties see (llama.cpp's penalty sampler, Ollama's repeat_last_n): a ring of
/// at most <c>size</c> ids with each id's count in it. A penalised logit is divided (positive) or multiplied (negative) by the
/// repetition penalty, then lowered by count × frequency + presence — once per distinct id in the window.
/// </summary>
internal sealed class PenaltyWindow
{
    private readonly int _size;
    private int[] _ring;
    private int _filled;
    private int _next;
    private readonly int[] _counts;
    private readonly int[] _applied;
    private int _stamp;

    /// <summary>A window of <paramref name="size"/> tokens over a vocabulary of <paramref name="vocabSize"/>.</summary>
    public PenaltyWindow(int size, int vocabSize)
    {
        _size = size;
        // grown as tokens arrive, up to the window: a window of the whole context (Ollama's -1) costs only what is seen
        _ring = new int[Math.Min(size, 256)];
        _counts = new int[vocabSize];
        _applied = new int[vocabSize];
    }

    /// <summary>Adds a token; the oldest leaves once the window is full.</summary>
    public void Push(int id)
    {
        if (_filled < _size)
        {
            if (_filled == _ring.Length) Array.Resize(ref _ring, (int)Math.Min(_size, 2L * _ring.Length));
            _ring[_filled++] = id;
        }
        else
        {
            _counts[_ring[_next]]--;
            _ring[_next] = id;
            _next = (_next + 1) % _size;
        }
        _counts[id]++;
    }

    /// <summary>Applies the penalties to the logits of every token in the window.</summary>
    public void Apply(Span<float> logits, float repetition, float presence, float frequency)
    {
        _stamp++;
        for (var i = 0; i < _filled; i++)
        {
            var id = _ring[i];
            if (_applied[id] == _stamp) continue;
            _applied[id] = _stamp;
            var logit = logits[id];
            logit = logit > 0 ? logit / repetition : logit * repetition;
            logits[id] = logit - (_counts[id] * frequency + presence);
        }
    }
}
