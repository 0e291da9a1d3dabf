using System.Text.Json;
using Moxing.Core.Tensors;

namespace Moxing.Core.Formats.Safetensors;

/// <summary>A model split over several .safetensors shards listed by a <c>model.safetensors.index.json</c> weight map.</summary>
public sealed class ShardedSafetensors : ITensorSource
{
    private readonly SafetensorsFile[] _shards;
    private readonly TensorTable _table;

    private ShardedSafetensors(string indexPath, SafetensorsFile[] shards, TensorTable table)
    {
        IndexPath = indexPath;
        _shards = shards;
        _table = table;
    }

    /// <summary>The index file the model was opened from.</summary>
    public string IndexPath { get; }

    /// <summary>The shards, in the order the index first names them.</summary>
    public IReadOnlyList<SafetensorsFile> Shards => _shards;

    /// <inheritdoc />
    public IReadOnlyList<StoredTensor> Tensors => _table.Tensors;

    /// <inheritdoc />
    public StoredTensor? Find(string name) => _table.Find(name);

    /// <summary>Opens the index at <paramref name="indexPath"/> and every shard it names (each once, from the index's folder).</summary>
    public static ShardedSafetensors Open(string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var shardNames = new List<string>();
        foreach (var shard in weightMap.Values)
            if (!shardNames.Contains(shard)) shardNames.Add(shard);

        var shards = new List<SafetensorsFile>(shardNames.Count);
        try
        {
            foreach (var name in shardNames)
                shards.Add(OpenShard(indexPath, folder, name));
            var table = Collect(indexPath, shardNames, shards, weightMap);
            return new ShardedSafetensors(indexPath, [.. shards], table);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    /// <summary>Closes every shard.</summary>
    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }

    private static SafetensorsFile OpenShard(string indexPath, string folder, string name)
    {
        var full = Path.GetFullPath(Path.Combine(folder, name));
        // A shard must sit inside the model folder: the index is untrusted input.
        if (Path.IsPathRooted(name) || !full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new InvalidModelFileException(indexPath, $"shard '{name}' is not a file inside the model folder");
        if (!File.Exists(full))
            throw new InvalidModelFileException(indexPath, $"shard '{name}' named in weight_map does not exist (expected at {full})");
        return SafetensorsFile.Open(full);
    }

    private static TensorTable Collect(string indexPath, List<string> shardNames, List<SafetensorsFile> shards, Dictionary<string, string> weightMap)
    {
        var table = new TensorTable(weightMap.Count);
        for (var i = 0; i < shards.Count; i++)
        {
            foreach (var tensor in shards[i].Tensors)
            {
                if (!table.TryAdd(tensor))
                    throw new InvalidModelFileException(indexPath, $"tensor '{tensor.Name}' is stored in more than one shard (again in '{shardNames[i]}')");
            }
        }
        foreach (var (name, shard) in weightMap)
        {
            var shardFile = shards[shardNames.IndexOf(shard)];
            if (shardFile.Find(name) is null)
                throw new InvalidModelFileException(indexPath, $"weight_map puts tensor '{name}' in shard '{shard}', which does not contain it");
        }
        return table;
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonFiles.Load(indexPath);
        if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("weight_map", out var weightMap)
            || weightMap.ValueKind != JsonValueKind.Object)
            throw new InvalidModelFileException(indexPath, "expected an object with a 'weight_map' object (tensor name → shard file)");
        foreach (var entry in weightMap.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(entry.Value.GetString()))
                throw new InvalidModelFileException(indexPath, $"weight_map entry '{entry.Name}' must be a shard file name");
            if (!map.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new InvalidModelFileException(indexPath, $"weight_map lists tensor '{entry.Name}' twice");
        }
        if (map.Count == 0) throw new InvalidModelFileException(indexPath, "weight_map is empty");
        return map;
    }
}
