using System.Globalization;
using System.Text.Json;
using Moxing.Models;
using Moxing.Server.Models;

namespace Moxing.Server.Ollama;

/// <summary>Ollama's <c>details</c> object of a model: format, family, parameter size and quantization.</summary>
public static class ModelDetails
{
    /// <summary>Writes <c>"details": {…}</c>; <paramref name="model"/> (when loaded) supplies family, size and quantization.</summary>
    public static void Write(Utf8JsonWriter w, CatalogEntry entry, LoadedModel? model)
    {
        w.WriteStartObject("details");
        w.WriteString("parent_model", "");
        w.WriteString("format", entry.Path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? "gguf" : "safetensors");
        w.WriteString("family", model?.Architecture ?? "");
        w.WriteStartArray("families");
        if (model is not null) w.WriteStringValue(model.Architecture);
        w.WriteEndArray();
        w.WriteString("parameter_size", model is null ? "" : ParameterSize(model.ParameterCount));
        w.WriteString("quantization_level", model?.DominantWeightType?.ToString() ?? "");
        w.WriteEndObject();
    }

    /// <summary>A parameter count as Ollama prints it: 494.03M, 7.62B.</summary>
    public static string ParameterSize(long count) => count switch
    {
        >= 1_000_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e9:0.##}B"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{count / 1e6:0.##}M"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{count / 1e3:0.##}K"),
    };
}
