namespace Moxing.Models.Vision;

/// <summary>
/// Where a vision tower's tensors are: the tower's (patch and position embeddings, optional class embedding and pre norm, per-block
/// names under <see cref="Block"/> with {0} for the block, the optional post norm) and the projector's, in the order its kind takes them
/// (Gemma 3: soft norm, projection; LLaVA: first and second linear; Idefics3: projection). Names without ".weight"/".bias" take either suffix;
/// a null name is a part the tower does not have.
/// </summary>
internal sealed record VisionTensorNames(string Patch, string Positions, string Block, string Norm1, string Query, string Key, string Value,
    string Output, string Norm2, string Up, string Down, string? PostNorm, IReadOnlyList<string> Projector)
{
    /// <summary>The class token's embedding (CLIP), used when present.</summary>
    public string? ClassEmbedding { get; init; }

    /// <summary>The LayerNorm before the first block (CLIP's pre_layrnorm), used when present.</summary>
    public string? PreNorm { get; init; }

    /// <summary>llama.cpp's mmproj names (clip-impl.h); the optional parts are used when the file has them.</summary>
    public static VisionTensorNames Gguf(VisionProjector projector) => new("v.patch_embd", "v.position_embd.weight", "v.blk.{0}.", "ln1", "attn_q",
        "attn_k", "attn_v", "attn_out", "ln2", "ffn_up", "ffn_down", "v.post_ln", projector switch
        {
            VisionProjector.Gemma3 => ["mm.soft_emb_norm.weight", "mm.input_projection.weight"],
            VisionProjector.Mlp => ["mm.0", "mm.2"],
            _ => ["mm.model.fc.weight"],
        })
    { ClassEmbedding = "v.class_embd", PreNorm = "v.pre_ln" };

    /// <summary>
    /// transformers' SiglipVisionModel / CLIPVisionModel / Idefics3VisionTransformer under <paramref name="tower"/> (CLIP's with its
    /// class embedding and pre norm, no post norm: LLaVA reads a hidden state before it), with the projector's <paramref name="projector"/> names.
    /// </summary>
    public static VisionTensorNames Hf(string tower, bool clip, IReadOnlyList<string> projector) => new(tower + "embeddings.patch_embedding",
        tower + "embeddings.position_embedding.weight", tower + "encoder.layers.{0}.", "layer_norm1", "self_attn.q_proj", "self_attn.k_proj",
        "self_attn.v_proj", "self_attn.out_proj", "layer_norm2", "mlp.fc1", "mlp.fc2", clip ? null : tower + "post_layernorm", projector)
    {
        ClassEmbedding = clip ? tower + "embeddings.class_embedding" : null,
        PreNorm = clip ? tower + "pre_layrnorm" : null,
    };

    /// <summary>Name <paramref name="part"/> of block <paramref name="i"/>.</summary>
    public string InBlock(int i, string part) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Block, i) + part;
}
