using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Models.Tests.Vision;

/// <summary>
/// The vision half of a tiny Qwen2VLForConditionalGeneration (Qwen2VisionTransformerPretrainedModel: LayerNorm, quick_gelu fc1/fc2) or
/// Qwen2_5_VLForConditionalGeneration (RMSNorm, SiLU gate/up/down, windows of 28 pixels with full attention in block 1) with random
/// weights, as transformers names and shapes them under visual.* (or model.visual.*, transformers ≥ 4.52): the Conv3d patch kernel
/// [hidden, 3, 2, 7, 7], fused attn.qkv, the merger's ln_q and mlp.0 / mlp.2 into a 64-wide text model; preprocessor_config.json's bounds.
/// </summary>
public sealed class TinyQwenVisionFolder : IDisposable
{
    public const int PatchSize = 7, Hidden = 32, Heads = 4, FeedForward = 48, TextHidden = 64, Merge = 2, Layers = 2;

    /// <summary>The folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-qwen-vision-").FullName;

    /// <summary>Qwen2.5-VL's tower (else Qwen2-VL's).</summary>
    public bool Qwen25 { get; }

    /// <summary>Qwen2.5-VL's window_size in pixels.</summary>
    public int Window { get; }

    /// <summary>The tensors written, by name relative to visual. ("tower.patch_embed.proj.weight").</summary>
    public Dictionary<string, float[]> Weights { get; } = [];

    public TinyQwenVisionFolder(bool qwen25, bool nested = false, int seed = 5, int window = 28)
    {
        (Qwen25, Window) = (qwen25, window);
        var vision = qwen25
            ? new JsonObject
            {
                ["depth"] = Layers,
                ["hidden_size"] = Hidden,
                ["intermediate_size"] = FeedForward,
                ["num_heads"] = Heads,
                ["out_hidden_size"] = TextHidden,
                ["patch_size"] = PatchSize,
                ["spatial_merge_size"] = Merge,
                ["temporal_patch_size"] = 2,
                ["window_size"] = window,
                ["fullatt_block_indexes"] = new JsonArray(1),
                ["hidden_act"] = "silu",
            }
            : new JsonObject
            {
                ["depth"] = Layers,
                ["embed_dim"] = Hidden,
                ["mlp_ratio"] = 1.5,
                ["num_heads"] = Heads,
                ["hidden_size"] = TextHidden,
                ["patch_size"] = PatchSize,
                ["spatial_merge_size"] = Merge,
                ["temporal_patch_size"] = 2,
                ["hidden_act"] = "quick_gelu",
            };
        var config = new JsonObject { ["model_type"] = qwen25 ? "qwen2_5_vl" : "qwen2_vl", ["hidden_size"] = TextHidden, ["vision_config"] = vision };
        File.WriteAllText(Path.Combine(Folder, "config.json"), config.ToJsonString());
        File.WriteAllText(Path.Combine(Folder, "preprocessor_config.json"), """{"min_pixels": 784, "max_pixels": 12544, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.25, 0.25, 0.25]}""");
        var random = new Random(seed);
        var writer = new SafetensorsWriter();
        var prefix = nested ? "model.visual." : "visual.";
        void Add(string name, float mean, float spread, params long[] shape)
        {
            var values = new float[shape.Aggregate(1L, (a, d) => a * d)];
            for (var i = 0; i < values.Length; i++) values[i] = mean + (random.NextSingle() - 0.5f) * 2 * spread;
            writer.Add(prefix + name, shape, values);
            Weights["tower." + name] = values;
        }
        void Linear(string name, int rows, int cols)
        {
            Add(name + ".weight", 0, 1.7f / MathF.Sqrt(cols), rows, cols);
            Add(name + ".bias", 0, 0.2f, rows);
        }
        void Norm(string name, int width = Hidden)
        {
            Add(name + ".weight", 1, 0.4f, width);
            if (!qwen25) Add(name + ".bias", 0, 0.3f, width);
        }
        Add("patch_embed.proj.weight", 0, 1.2f / MathF.Sqrt(3 * 2 * PatchSize * PatchSize), Hidden, 3, 2, PatchSize, PatchSize);
        for (var l = 0; l < Layers; l++)
        {
            var p = $"blocks.{l}.";
            Norm(p + "norm1");
            Linear(p + "attn.qkv", 3 * Hidden, Hidden);
            Linear(p + "attn.proj", Hidden, Hidden);
            Norm(p + "norm2");
            if (qwen25)
            {
                Linear(p + "mlp.gate_proj", FeedForward, Hidden);
                Linear(p + "mlp.up_proj", FeedForward, Hidden);
                Linear(p + "mlp.down_proj", Hidden, FeedForward);
            }
            else
            {
                Linear(p + "mlp.fc1", FeedForward, Hidden);
                Linear(p + "mlp.fc2", Hidden, FeedForward);
            }
        }
        Norm("merger.ln_q");
        Linear("merger.mlp.0", Hidden * 4, Hidden * 4);
        Linear("merger.mlp.2", TextHidden, Hidden * 4);
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    /// <summary>A tensor by the name <see cref="Moxing.Models.Vision.ProjectorWriter.Write"/> asks for (relative to visual.).</summary>
    public float[] ByWriterName(string name) => Weights["tower." + name];

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
