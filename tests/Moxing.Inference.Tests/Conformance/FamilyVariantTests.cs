using System.Text.Json.Nodes;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>
/// Families without a fixture of their own (Mistral, Phi-3, Gemma 2) and the Hub's older config layout, built from
/// llama-tiny's weights: where the math is unchanged they must reproduce transformers' llama reference exactly; where
/// it changes (windows, soft-caps, Gemma norms) they must match the <see cref="NaiveDecoder"/> oracle.
/// </summary>
public sealed class FamilyVariantTests
{
    private static readonly string Llama = Fixtures.Path("hf", "models", "llama-tiny");
    private static readonly List<ReferencePrompt> Prompts = ReferenceRun.Read(Path.Combine(Llama, "reference.safetensors"), 1024);

    [Fact]
    public void TheOracleItselfMatchesTransformersOnLlama()
    {
        var oracle = new NaiveDecoder(Llama);
        foreach (var p in Prompts)
            Assert.True(ReferenceRun.RelativeMaxError(p.Logits, Flatten(oracle.Forward(p.Ids))) <= 1e-4, p.Name);
    }

    [Theory]
    [InlineData("llama-tiny")]
    [InlineData("qwen2-tiny")]
    public void HubConfigLayoutWithTopLevelRopeThetaLoadsTheSame(string model)
    {
        using var variant = new ModelVariant(model, c =>
        {
            var theta = c["rope_parameters"]!["rope_theta"]!.GetValue<double>();
            c.Remove("rope_parameters");
            c["rope_theta"] = theta;
            c["rope_scaling"] = null;
        });
        ReferenceRun.AssertMatches(variant.Folder, Fixtures.Path("hf", "models", model, "reference.safetensors"), 1e-3, checkGreedy: true);
    }

    [Fact]
    public void ShardedCheckpointLoadsTheSame()
    {
        using var variant = new ModelVariant("llama-tiny", _ => { });
        var index = new JsonObject();
        var map = new JsonObject();
        using (var whole = Core.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(variant.Folder, "model.safetensors")))
        {
            var shards = new[] { new Core.Formats.Safetensors.SafetensorsWriter(), new Core.Formats.Safetensors.SafetensorsWriter() };
            for (var i = 0; i < whole.Tensors.Count; i++)
            {
                var shard = i % 2;
                shards[shard].Add(whole.Tensors[i]);
                map[whole.Tensors[i].Name] = $"model-0000{shard + 1}-of-00002.safetensors";
            }
            for (var shard = 0; shard < 2; shard++)
                shards[shard].Write(Path.Combine(variant.Folder, $"model-0000{shard + 1}-of-00002.safetensors"));
        }
        File.Delete(Path.Combine(variant.Folder, "model.safetensors"));
        index["weight_map"] = map;
        File.WriteAllText(Path.Combine(variant.Folder, "model.safetensors.index.json"), index.ToJsonString());
        ReferenceRun.AssertMatches(variant.Folder, Path.Combine(Llama, "reference.safetensors"), 1e-3, checkGreedy: true);
    }

    [Fact]
    public void MistralWithoutWindowIsLlama()
    {
        using var variant = new ModelVariant("llama-tiny", c => { c["model_type"] = "mistral"; c["sliding_window"] = null; });
        ReferenceRun.AssertMatches(variant.Folder, Path.Combine(Llama, "reference.safetensors"), 1e-3, checkGreedy: true);
    }

    [Fact]
    public void MistralSlidingWindowMatchesTheOracle()
    {
        using var variant = new ModelVariant("llama-tiny", c => { c["model_type"] = "mistral"; c["sliding_window"] = 5; });
        AssertMatchesOracle(variant.Folder);
    }

    [Fact]
    public void Phi3FusedProjectionsReproduceLlama()
    {
        using var variant = ModelVariant.Phi3("llama-tiny");
        Assert.Contains(Directory.GetFiles(variant.Folder), f => f.EndsWith("model.safetensors"));
        ReferenceRun.AssertMatches(variant.Folder, Path.Combine(Llama, "reference.safetensors"), 1e-3, checkGreedy: true);
    }

    [Fact]
    public void Gemma2MatchesTheOracle()
    {
        using var variant = ModelVariant.Gemma2("llama-tiny", queryPreAttnScalar: 24);
        AssertMatchesOracle(variant.Folder);
    }

    private static void AssertMatchesOracle(string folder)
    {
        var oracle = new NaiveDecoder(folder);
        using var model = ModelLoader.Load(folder);
        foreach (var p in Prompts.Where(p => p.Ids.Length > 5))
        {
            var expected = Flatten(oracle.Forward(p.Ids));
            var ours = ReferenceRun.Logits(model.RequireDecoder(), p with { AllPositions = true });
            Assert.True(ReferenceRun.RelativeMaxError(expected, ours) <= 1e-4, p.Name);
        }
    }

    private static float[] Flatten(double[][] rows) => rows.SelectMany(r => r.Select(v => (float)v)).ToArray();
}
