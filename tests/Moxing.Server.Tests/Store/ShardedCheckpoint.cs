using Moxing.Core.Formats;
using Moxing.Core.Formats.Safetensors;
using Moxing.Tests;

namespace Moxing.Server.Tests.Store;

/// <summary>llama-tiny split the way save_pretrained shards it: two safetensors shards, an index, config and tokenizer files.</summary>
internal static class ShardedCheckpoint
{
    public static readonly string[] ShardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];

    /// <summary>Writes the checkpoint into <paramref name="folder"/> and returns its parameter count.</summary>
    public static long Write(string folder)
    {
        var source = Fixtures.Path("hf", "models", "llama-tiny");
        Directory.CreateDirectory(folder);
        foreach (var name in new[] { "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja" })
            File.Copy(Path.Combine(source, name), Path.Combine(folder, name));
        using var model = SafetensorsFile.Open(Path.Combine(source, ModelTensors.SingleFileName));
        var shards = new[] { new SafetensorsWriter(), new SafetensorsWriter() };
        var map = new List<string>();
        for (var i = 0; i < model.Tensors.Count; i++)
        {
            shards[i % 2].Add(model.Tensors[i]);
            map.Add($"\"{model.Tensors[i].Name}\": \"{ShardNames[i % 2]}\"");
        }
        for (var s = 0; s < shards.Length; s++) shards[s].Write(Path.Combine(folder, ShardNames[s]));
        File.WriteAllText(Path.Combine(folder, ModelTensors.IndexFileName), $"{{\"weight_map\": {{{string.Join(",", map)}}}}}");
        return model.Tensors.Sum(t => t.ElementCount);
    }
}
