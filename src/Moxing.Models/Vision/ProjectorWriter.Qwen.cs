using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Vision;

public static partial class ProjectorWriter
{
    // Qwen2VLVisionModel's mmproj: the Conv3d kernel split into its two temporal halves (v.patch_embd.weight, .weight.1), attn.qkv split
    // into attn_q/k/v, fc1/fc2 or gate/up/down as ffn_*, the merger's ln_q as v.post_ln and mlp.0/mlp.2 as mm.0/mm.2; 2.5 adds use_silu
    // and n_wa_pattern.
    private static GgufWriter WriteQwen(VisionOptions o, Func<string, long[], float[]> values, string name)
    {
        var w = Header(o, name);
        if (o.Activation == Activation.Silu) w.Set("clip.use_silu", true);
        if (o.FullAttentionEvery > 0) w.Set("clip.vision.n_wa_pattern", (uint)o.FullAttentionEvery);
        int h = o.HiddenSize, ff = o.FeedForwardSize, p = o.PatchSize, merged = o.ProjectorInputSize;
        var (rms, gated) = (o.NormKind == NormKind.Rms, o.Projector == VisionProjector.Qwen25Vl);
        var kernel = values("patch_embed.proj.weight", [h, 3, 2, p, p]);
        for (var t = 0; t < 2; t++)
        {
            var half = new float[h * 3 * p * p];
            for (var i = 0; i < h * 3; i++) kernel.AsSpan((i * 2 + t) * p * p, p * p).CopyTo(half.AsSpan(i * p * p));
            w.AddF16(t == 0 ? "v.patch_embd.weight" : "v.patch_embd.weight.1", [h, 3, p, p], half);
        }
        void Norm(string target, string source)
        {
            w.AddF32(target + ".weight", [h], values(source + ".weight", [h]));
            if (!rms) w.AddF32(target + ".bias", [h], values(source + ".bias", [h]));
        }
        void Dense(string target, string source, int rows, int cols)
        {
            w.AddF16(target + ".weight", [rows, cols], values(source + ".weight", [rows, cols]));
            w.AddF32(target + ".bias", [rows], values(source + ".bias", [rows]));
        }
        for (var i = 0; i < o.LayerCount; i++)
        {
            string V(string part) => $"v.blk.{i}.{part}";
            string H(string part) => $"blocks.{i}.{part}";
            Norm(V("ln1"), H("norm1"));
            Norm(V("ln2"), H("norm2"));
            var (qkv, qkvBias) = (values(H("attn.qkv.weight"), [3 * h, h]), values(H("attn.qkv.bias"), [3 * h]));
            foreach (var (part, index) in new[] { ("attn_q", 0), ("attn_k", 1), ("attn_v", 2) })
            {
                w.AddF16(V(part + ".weight"), [h, h], qkv[(index * h * h)..((index + 1) * h * h)]);
                w.AddF32(V(part + ".bias"), [h], qkvBias[(index * h)..((index + 1) * h)]);
            }
            Dense(V("attn_out"), H("attn.proj"), h, h);
            if (gated)
            {
                Dense(V("ffn_gate"), H("mlp.gate_proj"), ff, h);
                Dense(V("ffn_up"), H("mlp.up_proj"), ff, h);
                Dense(V("ffn_down"), H("mlp.down_proj"), h, ff);
            }
            else
            {
                Dense(V("ffn_up"), H("mlp.fc1"), ff, h);
                Dense(V("ffn_down"), H("mlp.fc2"), h, ff);
            }
        }
        Norm("v.post_ln", "merger.ln_q");
        Dense("mm.0", "merger.mlp.0", merged, merged);
        Dense("mm.2", "merger.mlp.2", o.TextHiddenSize, merged);
        return w;
    }
}
