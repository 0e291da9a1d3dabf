namespace Moxing.Models.Decoder;

/// <summary>
/// DeepSeek's multi-head latent attention: q = q_proj(x), or q_b(rmsnorm(q_a(x))) with a query rank; kv_a(x) gives a latent c
/// (<see cref="KvLoraRank"/> wide) and one rotary key part shared by every head (<see cref="RopeDim"/>); kv_b(rmsnorm(c)) gives each
/// head its unrotated key part and its value. Each query and key head is [unrotated, rotated]: only its last <see cref="RopeDim"/>
/// dimensions rotate. The decoder caches the latent: per token one row of the normed latent and the rotated shared key part.
/// </summary>
public sealed record MlaOptions
{
    /// <summary>Rank of the query's low-rank projection (q_lora_rank); 0: one q projection.</summary>
    public int QLoraRank { get; init; }
    /// <summary>Width of the compressed key/value latent (kv_lora_rank).</summary>
    public required int KvLoraRank { get; init; }
    /// <summary>Rotated dimensions at the end of each query and key head (qk_rope_head_dim).</summary>
    public required int RopeDim { get; init; }
}
