using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;

namespace Moxing.Models.Vision;

/// <summary>
/// Writes an mmproj GGUF as llama.cpp's converters do (Gemma3VisionModel, SmolVLMModel, Qwen2VLVisionModel, the LLaVA image-encoder script): clip.* keys,
/// v.* tower tensors and mm.* projector tensors; matrices and the patch kernel F16, embeddings, norms and biases F32, Gemma 3's soft
/// embedding norm stored as 1 + w. A LLaVA (CLIP) tower has a class embedding and a pre norm, no patch bias and no post norm.
/// </summary>
public static partial class ProjectorWriter
{
    /// <summary>
    /// The writer of a projector of <paramref name="o"/> whose tensors <paramref name="values"/> gives by their transformers name and shape:
    /// the tower's relative to vision_model. ("embeddings.patch_embedding.weight", "pre_layrnorm.weight", …), the projector's relative to
    /// its module ("mm_input_projection_weight", "linear_1.weight", "modality_projection.proj.weight"); Qwen2-VL's relative to visual.
    /// ("patch_embed.proj.weight", "blocks.0.attn.qkv.weight", "merger.mlp.0.weight").
    /// </summary>
    public static GgufWriter Write(VisionOptions o, Func<string, long[], float[]> values, string name)
    {
        if (o.DynamicSize) return WriteQwen(o, values, name);
        var clip = o.Projector == VisionProjector.Mlp;
        var w = Header(o, name);
        if (clip) w.Set("clip.has_llava_projector", true);
        w.Set("clip.use_gelu", o.Activation == Activation.GeluTanh);
        if (o.Activation == Activation.Silu) w.Set("clip.use_silu", true);
        if (o.FeatureLayer is { } feature) w.Set("clip.vision.feature_layer", new[] { feature });
        if (o.Projector == VisionProjector.Idefics3 || o.MergeFactor != 4 && o.Projector == VisionProjector.Gemma3)
            w.Set("clip.vision.projector.scale_factor", (uint)o.MergeFactor);
        if (o.LongestEdge > 0) w.Set("clip.vision.preproc_image_size", (uint)o.LongestEdge);
        int h = o.HiddenSize, ff = o.FeedForwardSize, p = o.PatchSize, text = o.TextHiddenSize;
        void F32(string target, string source, params long[] shape) => w.AddF32(target, shape, values(source, shape));
        void F16(string target, string source, params long[] shape) => w.AddF16(target, shape, values(source, shape));
        void Norm(string target, string source)
        {
            F32(target + ".weight", source + ".weight", h);
            F32(target + ".bias", source + ".bias", h);
        }
        F16("v.patch_embd.weight", "embeddings.patch_embedding.weight", h, 3, p, p);
        if (!clip) F32("v.patch_embd.bias", "embeddings.patch_embedding.bias", h);
        if (clip) F32("v.class_embd", "embeddings.class_embedding", h);
        F32("v.position_embd.weight", "embeddings.position_embedding.weight", o.PatchesPerSide * o.PatchesPerSide + (clip ? 1 : 0), h);
        if (clip) Norm("v.pre_ln", "pre_layrnorm");
        for (var i = 0; i < o.LayerCount; i++)
        {
            string V(string part) => $"v.blk.{i}.{part}";
            string H(string part) => $"encoder.layers.{i}.{part}";
            Norm(V("ln1"), H("layer_norm1"));
            Norm(V("ln2"), H("layer_norm2"));
            foreach (var (ours, theirs, rows, cols) in new[]
                     {
                         ("attn_q", "self_attn.q_proj", h, h), ("attn_k", "self_attn.k_proj", h, h), ("attn_v", "self_attn.v_proj", h, h),
                         ("attn_out", "self_attn.out_proj", h, h), ("ffn_up", "mlp.fc1", ff, h), ("ffn_down", "mlp.fc2", h, ff),
                     })
            {
                F16(V(ours + ".weight"), H(theirs + ".weight"), rows, cols);
                F32(V(ours + ".bias"), H(theirs + ".bias"), rows);
            }
        }
        if (!clip) Norm("v.post_ln", "post_layernorm");
        switch (o.Projector)
        {
            case VisionProjector.Gemma3:
                w.AddF32("mm.soft_emb_norm.weight", [h], values("mm_soft_emb_norm.weight", [h]).Select(v => v + 1).ToArray());
                F16("mm.input_projection.weight", "mm_input_projection_weight", h, text);
                break;
            case VisionProjector.Mlp:
                F16("mm.0.weight", "linear_1.weight", text, h);
                F32("mm.0.bias", "linear_1.bias", text);
                F16("mm.2.weight", "linear_2.weight", text, text);
                F32("mm.2.bias", "linear_2.bias", text);
                break;
            default:
                F16("mm.model.fc.weight", "modality_projection.proj.weight", text, o.ProjectorInputSize);
                break;
        }
        return w;
    }

    // The keys every projector has: general.*, the projector type, the tower's shape and its mean/std.
    private static GgufWriter Header(VisionOptions o, string name)
    {
        var w = new GgufWriter();
        w.Set("general.architecture", "clip");
        w.Set("general.type", "mmproj");
        w.Set("general.name", name);
        w.Set("general.file_type", 1u);
        w.Set("clip.has_vision_encoder", true);
        w.Set("clip.projector_type", VisionConfigs.GgufProjectors.Single(p => p.Value == o.Projector).Key);
        w.Set("clip.vision.projection_dim", (uint)o.TextHiddenSize);
        w.Set("clip.vision.image_size", (uint)o.ImageSize);
        w.Set("clip.vision.patch_size", (uint)o.PatchSize);
        w.Set("clip.vision.embedding_length", (uint)o.HiddenSize);
        w.Set("clip.vision.feed_forward_length", (uint)o.FeedForwardSize);
        w.Set("clip.vision.block_count", (uint)o.LayerCount);
        w.Set("clip.vision.attention.head_count", (uint)o.HeadCount);
        w.Set("clip.vision.attention.layer_norm_epsilon", o.NormEps);
        w.Set("clip.vision.image_mean", o.Mean);
        w.Set("clip.vision.image_std", o.Std);
        return w;
    }
}
