using System.Globalization;
using System.Text.Json.Nodes;
using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Core.Tensors;

namespace Moxing.Training.Pruning;

/// <summary>
/// Which attention heads and MLP channels of a Llama/Qwen-style decoder stay, per layer. Heads are scored by the
/// L2 norm of their columns of o_proj, channels by their column of down_proj. Grouped-query attention stays
/// grouped: with fewer key/value heads than query heads the same number of query heads leaves every group (all
/// key/value heads stay); with one query head per key/value head a removed head takes its key and value with it.
/// </summary>
public sealed class DecoderStructurePlan
{
    private DecoderStructurePlan(int heads, int kvHeads, int headDim, int intermediate)
    {
        (Heads, KvHeads, HeadDim, Intermediate) = (heads, kvHeads, headDim, intermediate);
    }

    /// <summary>Query heads per layer before.</summary>
    public int Heads { get; }

    /// <summary>Key/value heads per layer before.</summary>
    public int KvHeads { get; }

    /// <summary>Width of one head.</summary>
    public int HeadDim { get; }

    /// <summary>MLP channels per layer before.</summary>
    public int Intermediate { get; }

    /// <summary>Kept query heads of each layer (ascending).</summary>
    public List<int[]> KeptHeads { get; } = [];

    /// <summary>Kept key/value heads of each layer (ascending).</summary>
    public List<int[]> KeptKvHeads { get; } = [];

    /// <summary>Kept MLP channels of each layer (ascending).</summary>
    public List<int[]> KeptChannels { get; } = [];

    /// <summary>The tensor name of layer <paramref name="layer"/>'s <paramref name="part"/> (e.g. "self_attn.o_proj.weight").</summary>
    public static string Name(int layer, string part) => string.Create(CultureInfo.InvariantCulture, $"model.layers.{layer}.{part}");

    /// <summary>Plans removing <paramref name="heads"/> query heads and <paramref name="channels"/> MLP channels from every layer.</summary>
    public static DecoderStructurePlan Create(JsonObject config, ITensorSource tensors, string folder, int heads, int channels)
    {
        int Get(string key, int? fallback = null) => config[key] is JsonValue v && v.TryGetValue<int>(out var i) ? i
            : fallback ?? throw new InvalidModelFileException(Path.Combine(folder, "config.json"), $"'{key}' is missing or not an integer");
        var h = Get("num_attention_heads");
        var kv = Get("num_key_value_heads", h);
        var hidden = Get("hidden_size");
        var plan = new DecoderStructurePlan(h, kv, Get("head_dim", hidden / h), Get("intermediate_size"));
        var layers = Get("num_hidden_layers");
        var perGroup = h / kv;
        if (heads > 0 && kv < h && heads % kv != 0)
            throw new MoxingException($"--heads {heads}: the model's {h} query heads share {kv} key/value heads ({perGroup} per group); remove a multiple of {kv} so every group keeps the same size");
        if (heads > 0 && (kv < h ? heads / kv >= perGroup : heads >= h))
            throw new MoxingException($"--heads {heads} would remove every attention head ({h} per layer)");
        if (channels >= plan.Intermediate) throw new MoxingException($"--channels {channels} would remove every one of the {plan.Intermediate} MLP channels");
        for (var layer = 0; layer < layers; layer++)
        {
            var all = Enumerable.Range(0, h).ToArray();
            var allKv = Enumerable.Range(0, kv).ToArray();
            if (heads > 0)
            {
                var o = Matrix(tensors, Name(layer, "self_attn.o_proj.weight"), folder);
                var scores = UnitSelection.ColumnNorms(o.Data, o.Shape[0], o.Shape[1], plan.HeadDim);
                if (kv < h)
                {
                    var kept = new List<int>();
                    for (var g = 0; g < kv; g++) kept.AddRange(UnitSelection.KeepHighest(scores, all[(g * perGroup)..((g + 1) * perGroup)], heads / kv));
                    plan.KeptHeads.Add([.. kept]);
                    plan.KeptKvHeads.Add(allKv);
                }
                else
                {
                    var kept = UnitSelection.KeepHighest(scores, all, heads);
                    plan.KeptHeads.Add(kept);
                    plan.KeptKvHeads.Add(kept);
                }
            }
            else
            {
                plan.KeptHeads.Add(all);
                plan.KeptKvHeads.Add(allKv);
            }
            if (channels > 0)
            {
                var down = Matrix(tensors, Name(layer, "mlp.down_proj.weight"), folder);
                plan.KeptChannels.Add(UnitSelection.KeepHighest(UnitSelection.ColumnNorms(down.Data, down.Shape[0], down.Shape[1], 1),
                    Enumerable.Range(0, plan.Intermediate).ToArray(), channels));
            }
            else plan.KeptChannels.Add(Enumerable.Range(0, plan.Intermediate).ToArray());
        }
        return plan;
    }

    /// <summary>Writes the smaller sizes into <paramref name="config"/> (head_dim made explicit, as it no longer follows from hidden_size).</summary>
    public void Update(JsonObject config)
    {
        config["num_attention_heads"] = KeptHeads[0].Length;
        config["num_key_value_heads"] = KeptKvHeads[0].Length;
        config["head_dim"] = HeadDim;
        config["intermediate_size"] = KeptChannels[0].Length;
    }

    private static Tensor Matrix(ITensorSource tensors, string name, string folder)
    {
        var t = tensors.Find(name) ?? throw new InvalidModelFileException(folder,
            $"no tensor '{name}': structured pruning reads Llama/Qwen-style layers (self_attn.q/k/v/o_proj, mlp.gate/up/down_proj)");
        if (t.Shape.Length != 2) throw new InvalidModelFileException(folder, $"tensor '{name}' has shape [{string.Join(", ", t.Shape)}], expected a matrix");
        return Tensor.FromStored(t);
    }
}
