using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Models.Tests.Families;

// Qwen2-VL and Qwen2.5-VL as transformers names them: Qwen2's decoder (q/k/v biases, an untied head) with M-RoPE sections [2, 3, 3] of the
// 8 rotated pairs; Qwen2-VL as the published checkpoints lay it out (config flat, text model under model.*, tower under visual.*),
// Qwen2.5-VL as transformers ≥ 4.53 saves it (text_config, model.language_model.*, model.visual.*).
public sealed partial class TinyHfFolder
{
    /// <summary>The tiny Qwen2-VL's mrope_section: pairs for the temporal, height and width positions.</summary>
    internal static readonly int[] MropeSection = [2, 3, 3];

    private static bool IsQwen2Vl(string modelType) => modelType is "qwen2_vl" or "qwen2_5_vl";

    private static void Qwen2VlConfig(JsonObject c)
    {
        c["rms_norm_eps"] = 1e-6;
        c["hidden_act"] = "silu";
        c["tie_word_embeddings"] = false;
        c["rope_scaling"] = new JsonObject { ["type"] = "mrope", ["mrope_section"] = new JsonArray([.. MropeSection.Select(n => JsonValue.Create(n))]) };
        c["vision_config"] = new JsonObject { ["depth"] = 1 };
    }

    // Qwen2_5_VLConfig of transformers ≥ 4.53: the language model's keys under text_config.
    private static JsonObject Qwen2VlWrapped(JsonObject c)
    {
        var text = JsonNode.Parse(c.ToJsonString())!.AsObject();
        text.Remove("vision_config");
        text["model_type"] = "qwen2_5_vl_text";
        return new JsonObject { ["model_type"] = "qwen2_5_vl", ["text_config"] = text, ["vision_config"] = c["vision_config"]!.DeepClone() };
    }

    // A piece of the vision tower, which the language model leaves out.
    private static void WriteQwen2VlTower(string modelType, SafetensorsWriter writer) =>
        writer.Add((modelType == "qwen2_vl" ? "" : "model.") + "visual.blocks.0.attn.qkv.weight", [24, 8], new float[24 * 8]);
}
