namespace Moxing.Models.Decoder;

public sealed partial record DecoderOptions
{
    /// <summary>
    /// ALiBi's bias exponent (BLOOM's fixed 8, MPT's alibi_bias_max): every head adds slope · (key position − query position) to its
    /// scaled scores instead of rotating queries and keys (<see cref="AlibiSlopes"/>); 0 for none.
    /// </summary>
    public float AlibiMaxBias { get; init; }

    /// <summary>A LayerNorm of the token embeddings before the first block (BLOOM's word_embeddings_layernorm).</summary>
    public bool EmbeddingNorm { get; init; }

    /// <summary>
    /// ALiBi's slope of each query head (empty without <see cref="AlibiMaxBias"/>), as BLOOM's build_alibi_tensor, MPT's gen_slopes
    /// and llama.cpp compute them: with n the largest power of two not above the head count, head h &lt; n has 2^(−max/n)^(h + 1)
    /// and the heads beyond take the odd powers 1, 3, 5, … of 2^(−max/2n).
    /// </summary>
    public float[] AlibiSlopes()
    {
        if (AlibiMaxBias <= 0) return [];
        var n = 1 << (int)Math.Floor(Math.Log2(HeadCount));
        double m0 = Math.Pow(2, -AlibiMaxBias / n), m1 = Math.Pow(2, -AlibiMaxBias / 2 / n);
        return [.. Enumerable.Range(0, HeadCount).Select(h => (float)(h < n ? Math.Pow(m0, h + 1) : Math.Pow(m1, 2 * (h - n) + 1)))];
    }
}
