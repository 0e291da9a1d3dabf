namespace Moxing.Models.Vision;

/// <summary>
/// Where a vision tower's tensors are: the tower's (patch and position embeddings, per-block names under <see cref="Block"/> with {0}
/// for the block, the post norm) and the Gemma 3 projector's. Names without ".weight"/".bias" take either suffix.
/// </summary>
internal sealed record VisionTensorNames(string Patch, string Positions, string Block, string Norm1, string Query, string Key, string Value,
    string Output, string Norm2, string Up, string Down, string PostNorm, string SoftNorm, string Projection)
{
    /// <summary>llama.cpp's mmproj names (clip-impl.h).</summary>
    public static VisionTensorNames Gguf { get; } = new("v.patch_embd", "v.position_embd.weight", "v.blk.{0}.", "ln1", "attn_q", "attn_k", "attn_v",
        "attn_out", "ln2", "ffn_up", "ffn_down", "v.post_ln", "mm.soft_emb_norm.weight", "mm.input_projection.weight");

    /// <summary>transformers' SiglipVisionModel under <paramref name="tower"/> and Gemma3MultiModalProjector under <paramref name="projector"/>.</summary>
    public static VisionTensorNames Hf(string tower, string projector) => new(tower + "embeddings.patch_embedding", tower + "embeddings.position_embedding.weight",
        tower + "encoder.layers.{0}.", "layer_norm1", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "layer_norm2",
        "mlp.fc1", "mlp.fc2", tower + "post_layernorm", projector + "mm_soft_emb_norm.weight", projector + "mm_input_projection_weight");

    /// <summary>Name <paramref name="part"/> of block <paramref name="i"/>.</summary>
    public string InBlock(int i, string part) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Block, i) + part;
}
