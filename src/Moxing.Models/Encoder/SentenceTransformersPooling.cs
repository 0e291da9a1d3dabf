using System.Text.Json;
using Moxing.Core.Formats.HuggingFace;

namespace Moxing.Models.Encoder;

/// <summary>The pooling a sentence-transformers folder declares, as convert_hf_to_gguf.py's _try_set_pooling_type reads it.</summary>
public static class SentenceTransformersPooling
{
    /// <summary>
    /// llama.cpp's pooling_type of <paramref name="folder"/> (1 mean, 2 cls, 3 last), or null without a Pooling module. Without
    /// modules.json, <paramref name="defaultModule"/> (sentence-transformers' "1_Pooling") is looked in, or nothing (the converter).
    /// </summary>
    public static uint? Read(string folder, string? defaultModule = null)
    {
        var modulesPath = Path.Combine(folder, "modules.json");
        var module = File.Exists(modulesPath) ? PoolingModule(modulesPath) : defaultModule;
        if (module == null) return null;
        var configPath = Path.Combine(folder, module, "config.json");
        if (!File.Exists(configPath)) return null;
        var config = HfConfig.Load(configPath);
        if (config.GetBool("pooling_mode_mean_tokens", false)) return 1;
        if (config.GetBool("pooling_mode_cls_token", false)) return 2;
        if (config.GetBool("pooling_mode_lasttoken", false)) return 3;
        return config.GetString("pooling_mode", "") switch
        {
            "mean" => 1,
            "cls" => 2,
            "lasttoken" => 3,
            _ => throw config.Error("pooling_mode", "names no pooling llama.cpp has (mean, cls, lasttoken)"),
        };
    }

    private static string? PoolingModule(string modulesPath)
    {
        using var modules = JsonDocument.Parse(File.ReadAllText(modulesPath));
        if (modules.RootElement.ValueKind != JsonValueKind.Array) return null;
        var module = modules.RootElement.EnumerateArray().FirstOrDefault(m => m.ValueKind == JsonValueKind.Object
            && m.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString()!.EndsWith("Pooling", StringComparison.Ordinal));
        return module.ValueKind == JsonValueKind.Object && module.TryGetProperty("path", out var path) && path.ValueKind == JsonValueKind.String ? path.GetString() : null;
    }
}
