using System.Globalization;
using Moxing.Core;
using Moxing.Nn.Attention;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;
using Moxing.Training.Models;
using Moxing.Training.Recipes;
using Moxing.Training.Trainer;

namespace Moxing.Training.Pruning;

/// <summary>
/// Prunes the model of a `moxing train` run folder into a new run folder: magnitude pruning of its Linear,
/// Conv2d and attention projection weights (masks saved so `moxing train --resume/--init` keeps the zeros) and
/// removal of the least important units: hidden channels of MLPs, attention heads and feed-forward channels of
/// transformers and GPTs (the recipe's widths shrink).
/// </summary>
public static class RunFolderPruner
{
    /// <summary>Prunes the run in <paramref name="source"/> into <paramref name="output"/> (a new run folder).</summary>
    public static PruningReport Prune(string source, string output, PruneOptions options)
    {
        var run = new RunFolder(source);
        if (File.Exists(new RunFolder(output).State)) throw new MoxingException($"{output} already holds a run; choose another output folder");
        var (recipe, data, model) = TrainingRun.Reopen(source);
        var report = new PruningReport { ParametersBefore = model.ParameterCount(), BytesBefore = new FileInfo(TrainingRun.WeightsOf(source)).Length };
        var masks = PruningMasks.LoadFrom(source);
        if (options.Heads > 0 && model is not TransformerNetwork)
            throw new MoxingException($"--heads removes attention heads of transformer and gpt runs; this run's model '{recipe.Model.Type}' has no attention");
        if (options.Structured)
        {
            if (masks != null) throw new MoxingException($"{source} is already magnitude-pruned; remove heads or channels before zeroing weights");
            model = model is TransformerNetwork transformer
                ? RemoveHeadsAndChannels(recipe, data, transformer, options, report)
                : RemoveMlpChannels(recipe, data, model, options.Channels, report);
        }
        if (options.Magnitude)
        {
            var targets = Targets(model);
            var skipped = new List<string>();
            var computed = MagnitudePruner.Masks(targets, options.Sparsity, options.Pattern, options.Scope, skipped);
            report.Notes.AddRange(skipped);
            if (masks != null) computed.IntersectWith(masks);
            masks = computed;
        }
        masks?.Apply(model);
        foreach (var (name, p) in model.NamedParameters())
            if (masks?.Find(name) != null)
            {
                var shape = Array.ConvertAll(p.Shape, d => (long)d);
                report.Add(name, shape, shape, p.Data);
            }
        Write(run, output, recipe, model, masks, options);
        report.ParametersAfter = model.ParameterCount();
        foreach (var (_, p) in model.NamedParameters())
            foreach (var v in p.Data) if (v != 0f) report.NonZeroAfter++;
        report.BytesAfter = new FileInfo(new RunFolder(output).Checkpoint).Length;
        return report;
    }

    /// <summary>The weights magnitude pruning applies to: Linear and Conv2d weights and packed attention projections (not embeddings, norms or biases).</summary>
    public static List<PruningTarget> Targets(Module model)
    {
        var targets = new List<PruningTarget>();
        foreach (var (name, module) in model.NamedModules())
        {
            var weight = module switch
            {
                Linear l => ("weight", l.Weight),
                Conv2d c => ("weight", c.Weight),
                MultiheadAttention a => ("in_proj_weight", a.InProjWeight),
                _ => default,
            };
            if (weight.Item2 is { } w) targets.Add(new PruningTarget(name.Length == 0 ? weight.Item1 : name + "." + weight.Item1, w.Shape, w.Data.ToArray()));
        }
        return targets;
    }

    private static TransformerNetwork RemoveHeadsAndChannels(Recipe recipe, PreparedData data, TransformerNetwork model, PruneOptions options, PruningReport report)
    {
        var plan = TransformerStructurePlan.Create(model, options.Heads, options.Channels);
        report.Notes.Add(plan.Describe());
        if (options.Heads > 0) (recipe.Model.Heads, recipe.Model.HeadDim) = (plan.KeptHeads[0].Length, plan.HeadDim);
        if (options.Channels > 0) recipe.Model.FeedForward = plan.KeptChannels[0].Length;
        var smaller = (TransformerNetwork)TrainingRun.Build(recipe, data);
        plan.CopyKept(model, smaller, report);
        return smaller;
    }

    private static Layer RemoveMlpChannels(Recipe recipe, PreparedData data, Layer model, int channels, PruningReport report)
    {
        if (!recipe.Model.Type.Equals("mlp", StringComparison.OrdinalIgnoreCase) || model is not Sequential net)
            throw new MoxingException($"--channels removes hidden channels of mlp runs and feed-forward channels of transformer and gpt runs; this run's model is '{recipe.Model.Type}'");
        var linears = net.Layers.OfType<Linear>().ToList();
        var hidden = recipe.Model.Hidden;
        var widths = new int[hidden.Length];
        var kept = new int[hidden.Length][];
        for (var i = 0; i < hidden.Length; i++)
        {
            if (channels >= hidden[i]) throw new MoxingException($"--channels {channels} would remove every one of the {hidden[i]} channels of hidden layer {i + 1}");
            var next = linears[i + 1].Weight;
            var scores = UnitSelection.ColumnNorms(next.Data, next.Shape[0], next.Shape[1], 1);
            kept[i] = UnitSelection.KeepHighest(scores, Enumerable.Range(0, hidden[i]).ToArray(), channels);
            widths[i] = kept[i].Length;
            report.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"hidden layer {i + 1}: {hidden[i]} → {widths[i]} channels (removed those whose outgoing weights have the lowest L2 norm)"));
        }
        recipe.Model.Hidden = widths;
        var smaller = TrainingRun.Build(recipe, data);
        var targets = ((Sequential)smaller).Layers.OfType<Linear>().ToList();
        for (var l = 0; l < linears.Count; l++)
        {
            var (w, b) = (linears[l].Weight, linears[l].Bias);
            var rows = l < kept.Length ? kept[l] : Enumerable.Range(0, w.Shape[0]).ToArray();
            var weight = UnitSelection.KeepRows(w.Data, w.Shape[1], 1, rows);
            if (l > 0) weight = UnitSelection.KeepColumns(weight, rows.Length, w.Shape[1], 1, kept[l - 1]);
            weight.CopyTo(targets[l].Weight.Data);
            if (b != null) UnitSelection.KeepRows(b.Data, 1, 1, rows).CopyTo(targets[l].Bias!.Data);
            report.Tensors.Add(new TensorSparsity($"{NameOf(net, linears[l])}.weight", [w.Shape[0], w.Shape[1]],
                [targets[l].Weight.Shape[0], targets[l].Weight.Shape[1]], targets[l].Weight.Count, 0));
        }
        return smaller;
    }

    private static string NameOf(Sequential net, Layer layer)
    {
        for (var i = 0; i < net.Layers.Count; i++) if (ReferenceEquals(net.Layers[i], layer)) return i.ToString(CultureInfo.InvariantCulture);
        throw new InvalidOperationException("layer is not in the network");
    }

    private static void Write(RunFolder source, string output, Recipe recipe, Layer model, PruningMasks? masks, PruneOptions options)
    {
        var target = new RunFolder(output);
        Directory.CreateDirectory(output);
        RecipeFile.Save(recipe, target.Recipe);
        if (File.Exists(source.Vocabulary)) File.Copy(source.Vocabulary, target.Vocabulary, overwrite: true);
        var metadata = new Dictionary<string, string>
        {
            ["recipe"] = RecipeFile.Serialize(recipe),
            ["pruning"] = string.Create(CultureInfo.InvariantCulture,
                $"sparsity={options.Sparsity} pattern={options.Pattern} scope={options.Scope.ToString().ToLowerInvariant()} heads={options.Heads} channels={options.Channels}"),
        };
        model.Save(target.Checkpoint, metadata);
        File.Copy(target.Checkpoint, target.Best, overwrite: true);
        var masksPath = Path.Combine(output, PruningMasks.FileName);
        if (masks != null) masks.Save(masksPath);
        else File.Delete(masksPath);
        // The epochs stay (a --resume with more epochs fine-tunes); the best loss is the unpruned model's, so it is forgotten.
        var state = File.Exists(source.State) ? RunState.Load(source.State) : new RunState(0, null, 0, 0, true);
        (state with { BestValidationLoss = null, EpochsWithoutImprovement = 0 }).Save(target.State);
    }
}
