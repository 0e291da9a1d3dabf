namespace Moxing.Models.Vision;

/// <summary>
/// Where a vision tower's tensors are: the tower's (patch and position embeddings, optional class embedding and pre norm, per-block
/// names under <see cref="Block"/> with {0} for the block, the optional post norm) and the projector's, in the order its kind takes them
/// (Gemma 3: soft norm, projection; LLaVA: first and second linear; Idefics3: projection). Names without ".weight"/".bias" take either suffix;
/// a null name is a part the tower does not have.
/// </summary>
internal sealed record VisionTensorNames(string Patch, string? Positions, string Block, string Norm1, string Query, string Key, string Value,
    string Output, string Norm2, string Up, string Down, string? PostNorm, IReadOnlyList<string> Projector)
{
    /// <summary>The class token's embedding (CLIP), used when present.</summary>
    public string? ClassEmbedding { get; init; }

    /// <summary>The LayerNorm before the first block (CLIP's pre_layrnorm), used when present.</summary>
    public string? PreNorm { get; init; }

    /// <summary>The block's gate projection (SwiGLU: act(gate) · up), used when present.</summary>
    public string? Gate { get; init; }

    /// <summary>The block's fused [3 · hidden, hidden] query/key/value projection (transformers' Qwen2-VL attn.qkv), when it has one.</summary>
    public string? Qkv { get; init; }

    /// <summary>
    /// llama.cpp's mmproj names (clip-impl.h); the optional parts are used when the file has them (Qwen2-VL: no positions, the patch
    /// kernel's second temporal half as v.patch_embd.weight.1).
    /// </summary>
    public static VisionTensorNames Gguf(VisionProjector projector) => new("v.patch_embd",
        projector is VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl ? null : "v.position_embd.weight", "v.blk.{0}.", "ln1", "attn_q",
        "attn_k", "attn_v", "attn_out", "ln2", "ffn_up", "ffn_down", "v.post_ln", projector switch
        {
            VisionProjector.Gemma3 => ["mm.soft_emb_norm.weight", "mm.input_projection.weight"],
            VisionProjector.Mlp or VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl => ["mm.0", "mm.2"],
            _ => ["mm.model.fc.weight"],
        })
    { ClassEmbedding = "v.class_embd", PreNorm = "v.pre_ln", Gate = "ffn_gate" };

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

    /// <summary>
    /// transformers' Qwen2VisionTransformerPretrainedModel / Qwen2_5_VisionTransformerPretrainedModel under <paramref name="tower"/>
    /// ("visual." or "model.visual."): the Conv3d patch kernel, fused attn.qkv, fc1/fc2 or (2.5) gate/up/down projections, the merger's
    /// ln_q as the post norm and its mlp.0 / mlp.2 as the projector.
    /// </summary>
    public static VisionTensorNames QwenHf(string tower, bool gated) => new(tower + "patch_embed.proj", null, tower + "blocks.{0}.", "norm1",
        "attn.q", "attn.k", "attn.v", "attn.proj", "norm2", gated ? "mlp.up_proj" : "mlp.fc1", gated ? "mlp.down_proj" : "mlp.fc2",
        tower + "merger.ln_q", [tower + "merger.mlp.0", tower + "merger.mlp.2"])
    { Gate = gated ? "mlp.gate_proj" : null, Qkv = "attn.qkv" };

    /// <summary>Name <paramref name="part"/> of block <paramref name="i"/>.</summary>
    public string InBlock(int i, string part) => string.Format(System.Globalization.CultureInfo.InvariantCulture, Block, i) + part;
}
