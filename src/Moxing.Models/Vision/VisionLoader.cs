using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;

namespace Moxing.Models.Vision;

/// <summary>Opens a vision tower: llama.cpp's mmproj GGUF, or the vision weights of a Hugging Face Gemma 3 folder.</summary>
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
            var o = VisionOptions.FromGguf(file, path);
            CheckWidth(o, textHidden, path);
            return VisionTower.Load(o, file, VisionTensorNames.Gguf, softNormOffset: 0, path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The tower of a Hugging Face Gemma3ForConditionalGeneration folder (vision_tower.* and multi_modal_projector.*, in either
    /// transformers nesting), or null when its config has no vision_config.
    /// </summary>
    public static VisionTower? LoadHf(string folder, HfConfig config, int textHidden)
    {
        if (config.GetString("model_type") != "gemma3" || !config.IsSection("vision_config")) return null;
        var preprocessorPath = Path.Combine(folder, "preprocessor_config.json");
        var o = VisionOptions.FromHf(config, File.Exists(preprocessorPath) ? HfConfig.Load(preprocessorPath) : null, textHidden);
        var source = ModelTensors.OpenFolder(folder);
        try
        {
            var nested = source.Find("model.vision_tower.vision_model.embeddings.patch_embedding.weight") != null;
            var names = nested ? VisionTensorNames.Hf("model.vision_tower.vision_model.", "model.multi_modal_projector.")
                : VisionTensorNames.Hf("vision_tower.vision_model.", "multi_modal_projector.");
            // Gemma3RMSNorm multiplies by 1 + w.
            return VisionTower.Load(o, source, names, softNormOffset: 1, folder);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    private static void CheckWidth(VisionOptions o, int textHidden, string path)
    {
        if (o.TextHiddenSize != textHidden)
            throw new InvalidModelFileException(path, $"the projector gives embeddings {o.TextHiddenSize} wide but the text model is {textHidden} wide: it belongs to another model");
    }
}
