using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Training.Pruning;

/// <summary>
/// Prunes a Hugging Face decoder folder (F32/F16/BF16 safetensors) into a new folder Moxing loads: removes
/// attention heads and MLP channels (tensors and config.json shrink) and/or zeroes weights of the layers'
/// projection matrices by magnitude (unstructured or N:M). Embeddings, the output head and norms stay as they are.
/// </summary>
public static partial class HfFolderPruner
{
    /// <summary>
    /// Prunes <paramref name="folder"/> into <paramref name="output"/>. With <paramref name="zeroInstead"/> the
    /// removed heads and channels are only zeroed (their o_proj / down_proj columns) and every shape stays: the
    /// masked original a removal must reproduce.
    /// </summary>
    public static PruningReport Prune(string folder, string output, PruneOptions options, bool zeroInstead = false)
    {
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new InvalidModelFileException(folder, "not a model folder: config.json is missing");
        if (Path.GetFullPath(folder) == Path.GetFullPath(output)) throw new MoxingException("the output folder must differ from the model folder");
        var config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new InvalidModelFileException(configPath, "not a JSON object");
        using var source = ModelTensors.OpenFolder(folder);
        var plan = options.Structured ? DecoderStructurePlan.Create(config, source, folder, options.Heads, options.Channels) : null;
        var report = new PruningReport();
        var tensors = new List<(string Name, DType Type, long[] Before, long[] Shape, byte[] Bytes)>();
        foreach (var t in source.Tensors)
        {
            report.ParametersBefore += t.ElementCount;
            report.BytesBefore += t.ByteLength;
            var (shape, bytes) = plan != null ? Restructure(t, plan, zeroInstead) : (t.Shape, t.Bytes.ToArray());
            tensors.Add((t.Name, t.Type, t.Shape, shape, bytes));
        }
        var zeroed = options.Magnitude ? ZeroByMagnitude(tensors, options, report) : [];
        Directory.CreateDirectory(output);
        var writer = new SafetensorsWriter().SetMetadata("format", "pt");
        foreach (var (name, type, before, shape, bytes) in tensors)
        {
            writer.Add(name, type, shape, bytes);
            var count = 1L;
            foreach (var d in shape) count *= d;
            report.ParametersAfter += count;
            var changed = !before.AsSpan().SequenceEqual(shape) || zeroed.Contains(name);
            if (changed) report.Add(name, before, shape, Floats(name, type, bytes, count));
        }
        foreach (var entry in report.Tensors) report.NonZeroAfter -= entry.Zeros;
        report.NonZeroAfter += report.ParametersAfter;
        var weights = Path.Combine(output, ModelTensors.SingleFileName);
        writer.Write(weights);
        report.BytesAfter = new FileInfo(weights).Length;
        plan?.Update(config);
        if (plan != null && !zeroInstead)
            report.Notes.Add($"attention heads {plan.Heads} → {plan.KeptHeads[0].Length} (key/value {plan.KvHeads} → {plan.KeptKvHeads[0].Length}), MLP channels {plan.Intermediate} → {plan.KeptChannels[0].Length} per layer");
        if (zeroInstead) plan = null;
        File.WriteAllText(Path.Combine(output, "config.json"), (plan != null ? config : JsonNode.Parse(File.ReadAllText(configPath))!).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(file);
            if (name == "config.json" || name == ModelTensors.IndexFileName || name.EndsWith(".safetensors", StringComparison.Ordinal)) continue;
            File.Copy(file, Path.Combine(output, name), overwrite: true);
        }
        return report;
    }

    [GeneratedRegex(@"^model\.layers\.(\d+)\.(self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.(weight|bias)$")]
    private static partial Regex LayerTensor();

    // Shapes and bytes of a tensor after the plan; zeroing keeps the shape and clears the columns reading removed units.
    private static (long[] Shape, byte[] Bytes) Restructure(StoredTensor t, DecoderStructurePlan plan, bool zeroInstead)
    {
        var match = LayerTensor().Match(t.Name);
        if (!match.Success) return (t.Shape, t.Bytes.ToArray());
        CheckPlain(t);
        var layer = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var projection = match.Groups[3].Success ? match.Groups[3].Value : match.Groups[4].Value;
        var isWeight = match.Groups[5].Value == "weight";
        var element = (int)t.Type.ByteCount(1);
        var (kept, unit, units) = projection switch
        {
            "q" or "o" => (plan.KeptHeads[layer], plan.HeadDim, plan.Heads),
            "k" or "v" => (plan.KeptKvHeads[layer], plan.HeadDim, plan.KvHeads),
            _ => (plan.KeptChannels[layer], 1, plan.Intermediate),
        };
        var readsUnits = projection is "o" or "down";
        if (readsUnits && !isWeight) return (t.Shape, t.Bytes.ToArray());
        if (zeroInstead)
        {
            var bytes = t.Bytes.ToArray();
            if (readsUnits) ZeroColumns(bytes, (int)t.Shape[0], (int)t.Shape[1], element, unit, units, kept);
            return (t.Shape, bytes);
        }
        if (readsUnits)
            return ([t.Shape[0], kept.Length * unit], UnitSelection.KeepColumns(t.Bytes, (int)t.Shape[0], (int)t.Shape[1], element, unit, kept));
        var rowBytes = t.Shape.Length == 2 ? t.RowBytes : element;
        var shape = t.Shape.Length == 2 ? new[] { (long)kept.Length * unit, t.Shape[1] } : [(long)kept.Length * unit];
        return (shape, UnitSelection.KeepRows(t.Bytes, rowBytes, unit, kept));
    }

    private static void ZeroColumns(byte[] bytes, int rows, int columns, int element, int unit, int units, int[] kept)
    {
        var keep = new bool[units];
        foreach (var k in kept) keep[k] = true;
        for (var r = 0; r < rows; r++)
            for (var u = 0; u < units; u++)
                if (!keep[u]) bytes.AsSpan((r * columns + u * unit) * element, unit * element).Clear();
    }

    private static void CheckPlain(StoredTensor t)
    {
        if (t.Type is not (DType.F32 or DType.F16 or DType.BF16))
            throw new MoxingException($"tensor '{t.Name}' is {t.Type}; pruning reads F32, F16 or BF16 weights (prune before quantizing)");
    }

    // Rank-2 weights inside the layers: attention and MLP projections, not embeddings or the output head.
    private static bool Prunable(string name, long[] shape) =>
        shape.Length == 2 && name.EndsWith(".weight", StringComparison.Ordinal) && name.Contains("layers.", StringComparison.Ordinal)
        && !name.Contains("embed", StringComparison.Ordinal);

    private static HashSet<string> ZeroByMagnitude(List<(string Name, DType Type, long[] Before, long[] Shape, byte[] Bytes)> tensors, PruneOptions options, PruningReport report)
    {
        var targets = new List<PruningTarget>();
        var indices = new List<int>();
        for (var i = 0; i < tensors.Count; i++)
        {
            var (name, type, _, shape, bytes) = tensors[i];
            if (!Prunable(name, shape)) continue;
            if (type is not (DType.F32 or DType.F16 or DType.BF16))
                throw new MoxingException($"tensor '{name}' is {type}; pruning reads F32, F16 or BF16 weights (prune before quantizing)");
            targets.Add(new PruningTarget(name, [checked((int)shape[0]), checked((int)shape[1])], Floats(name, type, bytes, shape[0] * shape[1])));
            indices.Add(i);
        }
        if (targets.Count == 0) throw new MoxingException("no layer projection weights (model.layers.N.*.weight matrices) to prune");
        var skipped = new List<string>();
        var masks = MagnitudePruner.Masks(targets, options.Sparsity, options.Pattern, options.Scope, skipped);
        report.Notes.AddRange(skipped);
        var zeroed = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < targets.Count; k++)
        {
            var (name, type, _, _, bytes) = tensors[indices[k]];
            var keep = masks.Find(name)!;
            var element = (int)type.ByteCount(1);
            // Zero is all-zero bytes in F32, F16 and BF16 alike.
            for (var i = 0; i < keep.Length; i++)
                if (keep[i] == 0) bytes.AsSpan(i * element, element).Clear();
            zeroed.Add(name);
        }
        return zeroed;
    }

    private static float[] Floats(string name, DType type, byte[] bytes, long count)
    {
        var values = new float[checked((int)count)];
        if (type is DType.F32 or DType.F16 or DType.BF16) Dequantizer.Dequantize(type, bytes, values);
        else throw new MoxingException($"tensor '{name}' is {type}; pruning reads F32, F16 or BF16 weights");
        return values;
    }
}
