using System.Globalization;
using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Training.Models;

namespace Moxing.Training.Pruning;

/// <summary>
/// Which attention heads and feed-forward channels of a Moxing transformer (a `gpt` or `transformer` run) stay, per
/// layer, scored as <see cref="DecoderStructurePlan"/> scores a decoder's: a head by the L2 norm of its out_proj columns,
/// a channel by its linear2 column. Every layer loses the same number, so the recipe's heads and feed_forward describe them all.
/// </summary>
public sealed class TransformerStructurePlan
{
    private TransformerStructurePlan(int heads, int headDim, int feedForward)
    {
        (Heads, HeadDim, FeedForward) = (heads, headDim, feedForward);
    }

    /// <summary>Heads per layer before.</summary>
    public int Heads { get; }

    /// <summary>Width of one head (unchanged by pruning).</summary>
    public int HeadDim { get; }

    /// <summary>Feed-forward channels per layer before.</summary>
    public int FeedForward { get; }

    /// <summary>Kept heads of each layer (ascending).</summary>
    public List<int[]> KeptHeads { get; } = [];

    /// <summary>Kept feed-forward channels of each layer (ascending).</summary>
    public List<int[]> KeptChannels { get; } = [];

    /// <summary>Plans removing <paramref name="heads"/> heads and <paramref name="channels"/> feed-forward channels from every layer of <paramref name="model"/>.</summary>
    public static TransformerStructurePlan Create(TransformerNetwork model, int heads, int channels)
    {
        if (model.Blocks.Count == 0) throw new MoxingException("the transformer has no layers to remove heads or channels from");
        var first = model.Blocks[0];
        var plan = new TransformerStructurePlan(first.SelfAttn.NumHeads, first.SelfAttn.HeadDim, first.Options.DimFeedforward);
        if (heads >= plan.Heads) throw new MoxingException($"--heads {heads} would remove every one of the {plan.Heads} attention heads per layer");
        if (channels >= plan.FeedForward) throw new MoxingException($"--channels {channels} would remove every one of the {plan.FeedForward} feed-forward channels per layer");
        foreach (var block in model.Blocks)
        {
            var o = block.SelfAttn.OutProj.Weight;
            plan.KeptHeads.Add(UnitSelection.KeepHighest(UnitSelection.ColumnNorms(o.Data, o.Shape[0], o.Shape[1], plan.HeadDim),
                Enumerable.Range(0, plan.Heads).ToArray(), heads));
            var down = block.Linear2.Weight;
            plan.KeptChannels.Add(UnitSelection.KeepHighest(UnitSelection.ColumnNorms(down.Data, down.Shape[0], down.Shape[1], 1),
                Enumerable.Range(0, plan.FeedForward).ToArray(), channels));
        }
        return plan;
    }

    /// <summary>What shrinks per layer, for the report.</summary>
    public string Describe()
    {
        var c = CultureInfo.InvariantCulture;
        var changes = new List<string>();
        if (KeptHeads[0].Length < Heads) changes.Add(string.Create(c, $"attention heads {Heads} → {KeptHeads[0].Length} ({HeadDim} wide)"));
        if (KeptChannels[0].Length < FeedForward) changes.Add(string.Create(c, $"feed-forward channels {FeedForward} → {KeptChannels[0].Length}"));
        return $"{string.Join(", ", changes)} per layer (removed those whose output-projection columns have the lowest L2 norm)";
    }

    /// <summary>
    /// Copies <paramref name="source"/>'s weights into <paramref name="target"/>, a network built with the kept sizes:
    /// the q/k/v rows and out_proj columns of kept heads, the linear1 rows and linear2 columns of kept channels, every
    /// other parameter as it is. Adds each shrunk tensor to <paramref name="report"/>.
    /// </summary>
    public void CopyKept(TransformerNetwork source, TransformerNetwork target, PruningReport report)
    {
        var selected = new Dictionary<Tensor, float[]>(ReferenceEqualityComparer.Instance);
        for (var layer = 0; layer < source.Blocks.Count; layer++)
        {
            var (block, heads, channels) = (source.Blocks[layer], KeptHeads[layer], KeptChannels[layer]);
            var attention = block.SelfAttn;
            var (dim, inner) = (attention.EmbedDim, attention.InnerDim);
            // in_proj stacks q, k and v: head h of part p is unit p·heads + h of head_dim rows.
            var qkv = new[] { 0, 1, 2 }.SelectMany(part => heads.Select(h => part * Heads + h)).ToArray();
            selected[attention.InProjWeight] = UnitSelection.KeepRows(attention.InProjWeight.Data, dim, HeadDim, qkv);
            if (attention.InProjBias is { } bias) selected[bias] = UnitSelection.KeepRows(bias.Data, 1, HeadDim, qkv);
            selected[attention.OutProj.Weight] = UnitSelection.KeepColumns(attention.OutProj.Weight.Data, dim, inner, HeadDim, heads);
            selected[block.Linear1.Weight] = UnitSelection.KeepRows(block.Linear1.Weight.Data, dim, 1, channels);
            if (block.Linear1.Bias is { } up) selected[up] = UnitSelection.KeepRows(up.Data, 1, 1, channels);
            selected[block.Linear2.Weight] = UnitSelection.KeepColumns(block.Linear2.Weight.Data, dim, FeedForward, 1, channels);
        }
        var before = source.NamedParameters().ToDictionary(e => e.Name, e => e.Parameter, StringComparer.Ordinal);
        foreach (var (name, p) in target.NamedParameters())
        {
            var old = before[name];
            var values = selected.TryGetValue(old, out var kept) ? kept : old.Data.ToArray();
            if (values.Length != p.Count) throw new InvalidOperationException($"{name}: {values.Length} kept values for a parameter of {p.Count}");
            values.CopyTo(p.Data);
            if (old.Count != p.Count) report.Add(name, Array.ConvertAll(old.Shape, d => (long)d), Array.ConvertAll(p.Shape, d => (long)d), p.Data);
        }
    }
}
