using Moxing.Core.Formats.Gguf;

namespace Moxing.Models.Vision;

/// <summary>
/// Writes a Gemma 3 mmproj GGUF as llama.cpp's converter (Gemma3VisionModel) does: clip.* keys, v.* tower tensors and mm.* projector
/// tensors; matrices and the patch kernel F16, embeddings, norms and biases F32, the soft embedding norm stored as 1 + w.
/// </summary>
public static class ProjectorWriter
{
    /// <summary>
    /// The writer of a projector of <paramref name="o"/> whose tensors <paramref name="values"/> gives by their transformers name
    /// (relative to vision_model. and multi_modal_projector.: "embeddings.patch_embedding.weight", "mm_input_projection_weight", …) and shape.
    /// </summary>
    public static GgufWriter Gemma3(VisionOptions o, Func<string, long[], float[]> values, string name = "synthetic gemma3 mmproj")
    {
        var w = new GgufWriter();
        w.Set("general.architecture", "clip");
        w.Set("general.type", "mmproj");
        w.Set("general.name", name);
        w.Set("general.file_type", 1u);
        w.Set("clip.has_vision_encoder", true);
        w.Set("clip.projector_type", "gemma3");
        w.Set("clip.use_gelu", true);
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
        if (o.PoolKernel != 4) w.Set("clip.vision.projector.scale_factor", (uint)o.PoolKernel);
        int h = o.HiddenSize, ff = o.FeedForwardSize, p = o.PatchSize;
        void F32(string target, string source, params long[] shape) => w.AddF32(target, shape, values(source, shape));
        void F16(string target, string source, params long[] shape) => w.AddF16(target, shape, values(source, shape));
        F16("v.patch_embd.weight", "embeddings.patch_embedding.weight", h, 3, p, p);
        F32("v.patch_embd.bias", "embeddings.patch_embedding.bias", h);
        F32("v.position_embd.weight", "embeddings.position_embedding.weight", o.PatchesPerSide * o.PatchesPerSide, h);
        for (var i = 0; i < o.LayerCount; i++)
        {
            string V(string part) => $"v.blk.{i}.{part}";
            string H(string part) => $"encoder.layers.{i}.{part}";
            foreach (var (ours, theirs) in new[] { ("ln1", "layer_norm1"), ("ln2", "layer_norm2") })
            {
                F32(V(ours + ".weight"), H(theirs + ".weight"), h);
                F32(V(ours + ".bias"), H(theirs + ".bias"), h);
            }
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
        F32("v.post_ln.weight", "post_layernorm.weight", h);
        F32("v.post_ln.bias", "post_layernorm.bias", h);
        w.AddF32("mm.soft_emb_norm.weight", [h], values("mm_soft_emb_norm.weight", [h]).Select(v => v + 1).ToArray());
        F16("mm.input_projection.weight", "mm_input_projection_weight", h, o.TextHiddenSize);
        return w;
    }
}
