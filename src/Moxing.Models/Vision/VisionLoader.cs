using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Tensors;

namespace Moxing.Models.Vision;

/// <summary>Opens a vision tower: llama.cpp's mmproj GGUF, or the vision weights of a Hugging Face Gemma 3, LLaVA, Idefics3/SmolVLM or Qwen2(.5)-VL folder.</summary>
public static class VisionLoader
{
    /// <summary>True when <paramref name="path"/> is a GGUF file of llama.cpp's clip kind (an mmproj).</summary>
    public static bool IsProjectorFile(string path)
    {
        if (!File.Exists(path) || !GgufFile.HasMagic(path)) return false;
        using var file = GgufFile.Open(path);
        return file.Metadata.TryGetString("general.architecture", out var a) && a == "clip";
    }

    /// <summary>The tower of the mmproj GGUF at <paramref name="path"/>, for a text model <paramref name="textHidden"/> wide.</summary>
    public static VisionTower LoadGguf(string path, int textHidden)
    {
        var file = GgufFile.Open(path);
        try
        {
            if (!file.Metadata.TryGetString("general.architecture", out var a) || a != "clip")
                throw new InvalidModelFileException(path, $"not a vision projector: general.architecture is '{a ?? "(none)"}', expected 'clip' (an mmproj GGUF)");
            var o = VisionConfigs.FromGguf(file, path);
            CheckWidth(o, textHidden, path);
            return VisionTower.Load(o, file, VisionTensorNames.Gguf(o.Projector), softNormOffset: 0, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tower of a Hugging Face Gemma3 / Llava / Idefics3 / SmolVLM / Qwen2VL / Qwen2_5_VL ForConditionalGeneration folder (the vision tower and projector in
    /// either transformers nesting), or null when its config has no vision_config of those or the folder holds no tower (no patch
    /// embedding: a text-only export, served as text).
    /// </summary>
    public static VisionTower? LoadHf(string folder, HfConfig config, int textHidden)
    {
        var preprocessorPath = Path.Combine(folder, "preprocessor_config.json");
        var o = VisionConfigs.FromHf(config, File.Exists(preprocessorPath) ? HfConfig.Load(preprocessorPath) : null, textHidden);
        if (o == null) return null;
        var source = ModelTensors.OpenFolder(folder);
        try
        {
            var names = HfNames(o.Projector, source);
            if (source.Find(names.Patch + ".weight") == null)
            {
                source.Dispose();
                return null;
            }
            // Gemma3RMSNorm multiplies by 1 + w.
            return VisionTower.Load(o, source, names, softNormOffset: 1, folder);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    // transformers' names, in the current nesting (under model.) or the one before 4.52; Idefics3 has always nested its parts under model.
    private static VisionTensorNames HfNames(VisionProjector projector, ITensorSource source)
    {
        if (projector is VisionProjector.Qwen2Vl or VisionProjector.Qwen25Vl)
            return VisionTensorNames.QwenHf(source.Find("model.visual.patch_embed.proj.weight") != null ? "model.visual." : "visual.", projector == VisionProjector.Qwen25Vl);
        if (projector == VisionProjector.Idefics3)
            return VisionTensorNames.Hf("model.vision_model.", clip: false, ["model.connector.modality_projection.proj.weight"]);
        var nested = source.Find("model.vision_tower.vision_model.embeddings.patch_embedding.weight") != null ? "model." : "";
        string tower = nested + "vision_tower.vision_model.", mm = nested + "multi_modal_projector.";
        return projector == VisionProjector.Mlp
            ? VisionTensorNames.Hf(tower, clip: true, [mm + "linear_1", mm + "linear_2"])
            : VisionTensorNames.Hf(tower, clip: false, [mm + "mm_soft_emb_norm.weight", mm + "mm_input_projection_weight"]);
    }

    private static void CheckWidth(VisionOptions o, int textHidden, string path)
    {
        if (o.TextHiddenSize != textHidden)
            throw new InvalidModelFileException(path, $"the projector gives embeddings {o.TextHiddenSize} wide but the text model is {textHidden} wide: it belongs to another model");
    }
}
