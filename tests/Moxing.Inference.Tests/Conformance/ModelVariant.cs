using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>A temporary copy of a fixture model with an edited config.json and, optionally, rewritten tensors.</summary>
public sealed class ModelVariant : IDisposable
{
    /// <summary>The variant's folder.</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-variant-").FullName;

    /// <summary>Copies fixture <paramref name="model"/>, edits its config, and rewrites tensors with <paramref name="tensors"/> when given.</summary>
    public ModelVariant(string model, Action<JsonObject> editConfig, Func<Dictionary<string, (long[] Shape, float[] Values)>, Dictionary<string, (long[] Shape, float[] Values)>>? tensors = null)
    {
        var source = Fixtures.Path("hf", "models", model);
        foreach (var file in Directory.GetFiles(source))
            if (Path.GetFileName(file) is not ("config.json" or "reference.safetensors"))
                File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!.AsObject();
        editConfig(config);
        File.WriteAllText(Path.Combine(Folder, "config.json"), config.ToJsonString());
        if (tensors == null) return;
        Dictionary<string, (long[], float[])> original;
        using (var f = SafetensorsFile.Open(Path.Combine(source, "model.safetensors")))
            original = f.Tensors.Where(t => t.Type == DType.F32)
                .ToDictionary(t => t.Name, t => (t.Shape, MemoryMarshal.Cast<byte, float>(t.Bytes).ToArray()));
        var writer = new SafetensorsWriter();
        foreach (var (name, (shape, values)) in tensors(original)) writer.Add(name, shape, values);
        writer.Write(Path.Combine(Folder, "model.safetensors"));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
