using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats;

public class ShardedSafetensorsTests : IDisposable
{
    private readonly TempFolder _temp = new();
    private readonly SafetensorsFile _model = SafetensorsFile.Open(Fixtures.Path("hf", "models", "llama-tiny", "model.safetensors"));

    public void Dispose()
    {
        _model.Dispose();
        _temp.Dispose();
    }

    /// <summary>Splits llama-tiny into two shards plus an index, the way save_pretrained does.</summary>
    private void WriteShards(Func<string, string, string>? mapEntry = null)
    {
        var first = new SafetensorsWriter();
        var second = new SafetensorsWriter();
        var entries = new List<string>();
        for (var i = 0; i < _model.Tensors.Count; i++)
        {
            var t = _model.Tensors[i];
            var shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
            (i % 2 == 0 ? first : second).Add(t);
            entries.Add(mapEntry?.Invoke(t.Name, shard) ?? $"\"{t.Name}\": \"{shard}\"");
        }
        first.Write(_temp.File("model-00001-of-00002.safetensors"));
        second.Write(_temp.File("model-00002-of-00002.safetensors"));
        File.WriteAllText(_temp.File(ModelTensors.IndexFileName),
            $$$"""{"metadata": {"total_size": 1}, "weight_map": { {{{string.Join(",\n", entries)}}} }}""");
    }

    private string IndexPath => _temp.File(ModelTensors.IndexFileName);

    [Fact]
    public void OpensEveryTensorOfEveryShard()
    {
        WriteShards();
        using var source = ModelTensors.OpenFolder(_temp.Path);
        var sharded = Assert.IsType<ShardedSafetensors>(source);
        Assert.Equal(2, sharded.Shards.Count);
        Assert.Equal(_model.Tensors.Count, source.Tensors.Count);
        foreach (var t in _model.Tensors)
        {
            var s = source.Find(t.Name)!;
            Assert.Equal(t.Shape, s.Shape);
            Assert.True(t.Bytes.SequenceEqual(s.Bytes));
        }
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        WriteShards();
        File.Delete(_temp.File("model-00002-of-00002.safetensors"));
        InvalidFile.Assert(IndexPath, "shard 'model-00002-of-00002.safetensors' named in weight_map does not exist", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void IndexedTensorMissingFromItsShard()
    {
        WriteShards((name, shard) => $"\"{name}\": \"{(name == _model.Tensors[0].Name ? "model-00002-of-00002.safetensors" : shard)}\"");
        InvalidFile.Assert(IndexPath, $"puts tensor '{_model.Tensors[0].Name}' in shard 'model-00002-of-00002.safetensors'", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void ShardOutsideTheFolderIsRejected()
    {
        WriteShards((name, shard) => $"\"{name}\": \"../{shard}\"");
        InvalidFile.Assert(IndexPath, "is not a file inside the model folder", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void TensorInTwoShardsIsRejected()
    {
        WriteShards();
        new SafetensorsWriter().Add(_model.Tensors[0]).Add(_model.Tensors[1]).Write(_temp.File("model-00002-of-00002.safetensors"));
        File.WriteAllText(IndexPath, $$$"""{"weight_map": {"{{{_model.Tensors[0].Name}}}": "model-00001-of-00002.safetensors", "{{{_model.Tensors[1].Name}}}": "model-00002-of-00002.safetensors"}}""");
        InvalidFile.Assert(IndexPath, $"tensor '{_model.Tensors[0].Name}' is stored in more than one shard", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void MalformedIndexJson()
    {
        File.WriteAllText(IndexPath, """{"weight_map": {"a": "x.safetensors",""");
        InvalidFile.Assert(IndexPath, "malformed JSON", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void IndexWithoutWeightMap()
    {
        File.WriteAllText(IndexPath, """{"metadata": {}}""");
        InvalidFile.Assert(IndexPath, "'weight_map'", () => ShardedSafetensors.Open(IndexPath));
    }

    [Fact]
    public void FolderWithoutWeightsIsAClearError() =>
        InvalidFile.Assert(_temp.Path, "neither model.safetensors.index.json nor model.safetensors", () => ModelTensors.OpenFolder(_temp.Path));

    [Fact]
    public void OpenPicksTheReaderForFoldersAndFiles()
    {
        using (var folder = ModelTensors.Open(Fixtures.Path("hf", "models", "llama-tiny")))
            Assert.IsType<SafetensorsFile>(folder);
        using (var gguf = ModelTensors.Open(Fixtures.Path("gguf", "llama-tiny.Q8_0.gguf")))
            Assert.IsType<GgufFile>(gguf);
        using (var single = ModelTensors.Open(Fixtures.Path("hf", "ops", "ops.safetensors")))
            Assert.IsType<SafetensorsFile>(single);
        InvalidFile.Assert(_temp.File("nothing.gguf"), "no such file or folder", () => ModelTensors.Open(_temp.File("nothing.gguf")));
    }
}
