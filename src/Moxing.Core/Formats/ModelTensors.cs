using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats;

/// <summary>Opens the weights of a model from a Hugging Face folder, a .safetensors file or a .gguf file.</summary>
public static class ModelTensors
{
    /// <summary>Name of the weight map of a sharded Hugging Face checkpoint.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>Name of a single-file Hugging Face checkpoint.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>Opens <paramref name="path"/>: a folder (see <see cref="OpenFolder"/>), a GGUF file (by its magic) or a safetensors file.</summary>
    public static ITensorSource Open(string path)
    {
        if (Directory.Exists(path)) return OpenFolder(path);
        if (!File.Exists(path)) throw new InvalidModelFileException(path, "no such file or folder");
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) return ShardedSafetensors.Open(path);
        return GgufFile.HasMagic(path) ? GgufFile.Open(path) : SafetensorsFile.Open(path);
    }

    /// <summary>Opens a Hugging Face model folder: its <c>model.safetensors.index.json</c> when present, else <c>model.safetensors</c>.</summary>
    public static ITensorSource OpenFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new InvalidModelFileException(folder, "no such folder");
        var index = Path.Combine(folder, IndexFileName);
        if (File.Exists(index)) return ShardedSafetensors.Open(index);
        var single = Path.Combine(folder, SingleFileName);
        if (File.Exists(single)) return SafetensorsFile.Open(single);
        throw new InvalidModelFileException(folder, $"the folder has neither {IndexFileName} nor {SingleFileName}");
    }
}
