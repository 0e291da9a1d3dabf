using System.Text.Json.Nodes;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>
/// Families without a fixture of their own (Mistral, Phi-3, Gemma 2, Gemma 3) and the Hub's older config layout, built from
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

    // Phi-3.5 (all 16 dimensions rotated) and Phi-4-mini (partial_rotary_factor 0.75: 12) with an original context of 16:
    // prompts of 17 and 45 tokens run on the long factors, those of 6 and 7 on the short ones.
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.75)]
    public void Phi3LongRopeMatchesTheOracleWithinAndBeyondTheOriginalContext(double partialRotaryFactor)
    {
        using var variant = ModelVariant.Phi3("llama-tiny", editConfig: c => ModelVariant.LongRope(c, 16, partialRotaryFactor, (int)(16 * partialRotaryFactor)));
        AssertMatchesOracle(variant.Folder);
        // The schedules really differ: the 17-token prompt on the short factors is far from what the engine computes.
        var oracle = new NaiveDecoder(variant.Folder);
        using var model = ModelLoader.Load(variant.Folder);
        var p = Prompts.First(p => p.Ids.Length == 17);
        var ours = ReferenceRun.Logits(model.RequireDecoder(), p with { AllPositions = true });
        Assert.True(ReferenceRun.RelativeMaxError(Flatten(oracle.Forward(p.Ids, ropeLength: 16)), ours) > 1e-2);
    }

    // llama.cpp's rule: a sequence whose context exceeds the original one uses the long factors from its first token on.
    [Fact]
    public void LongRopeChoosesTheFactorsByTheSequencesContext()
    {
        using var variant = ModelVariant.Phi3("llama-tiny", editConfig: c => ModelVariant.LongRope(c, 16, 1.0, 16));
        var oracle = new NaiveDecoder(variant.Folder);
        using var model = ModelLoader.Load(variant.Folder);
        var decoder = model.RequireDecoder();
        var p = Prompts.First(p => p.Ids.Length == 7);
        var logits = new float[p.Ids.Length * decoder.Options.VocabSize];
        foreach (var context in new[] { 16, 64 })
        {
            new InferenceSession(decoder, context, chunk: 4, Core.Tensors.DType.F32).PrefillAll(p.Ids, logits);
            Assert.True(ReferenceRun.RelativeMaxError(Flatten(oracle.Forward(p.Ids, ropeLength: context)), logits) <= 1e-4, $"context {context}");
        }
    }

    // max_position_embeddings 8: prompts of 17 and 45 tokens grow the base, those of 6 and 7 run plain RoPE.
    [Fact]
    public void DynamicNtkMatchesTheOracle()
    {
        using var variant = new ModelVariant("llama-tiny", c =>
        {
            c["max_position_embeddings"] = 8;
            c["rope_parameters"] = new JsonObject { ["rope_theta"] = 10000.0, ["rope_type"] = "dynamic", ["factor"] = 4.0 };
        });
        AssertMatchesOracle(variant.Folder);
        var p = Prompts.First(p => p.Ids.Length == 45);
        using var model = ModelLoader.Load(variant.Folder);
        Assert.True(ReferenceRun.RelativeMaxError(p.Logits, ReferenceRun.Logits(model.RequireDecoder(), p)) > 1e-2, "dynamic NTK left the base unchanged");
    }

    [Fact]
    public void Gemma2MatchesTheOracle()
    {
        using var variant = ModelVariant.Gemma2("llama-tiny", queryPreAttnScalar: 24);
        AssertMatchesOracle(variant.Folder);
    }

    [Fact]
    public void Gemma3MatchesTheOracle()
    {
        using var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24);
        AssertMatchesOracle(variant.Folder);
    }

    // transformers 5's layout: layer_types and both RoPE schedules in rope_parameters (here full first, then sliding).
    [Fact]
    public void Gemma3WithLayerTypesAndPerLayerTypeRopeMatchesTheOracle()
    {
        using var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24, editConfig: c =>
        {
            c.Remove("sliding_window_pattern");
            c.Remove("rope_scaling");
            c.Remove("rope_local_base_freq");
            c["layer_types"] = new JsonArray("full_attention", "sliding_attention");
            c["rope_parameters"] = new JsonObject
            {
                ["full_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 4.0, ["rope_theta"] = 1000.0 },
                ["sliding_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 30.0 },
            };
        });
        AssertMatchesOracle(variant.Folder);
    }

    // The window and the local schedule matter: the same weights with no sliding layer compute something else.
    [Fact]
    public void Gemma3SlidingLayersChangeTheLogits()
    {
        using var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24);
        using var global = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24, editConfig: c => c["sliding_window_pattern"] = 1);
        using var a = ModelLoader.Load(variant.Folder);
        using var b = ModelLoader.Load(global.Folder);
        var p = Prompts.First(p => p.Ids.Length > 8);
        Assert.True(ReferenceRun.RelativeMaxError(ReferenceRun.Logits(a.RequireDecoder(), p), ReferenceRun.Logits(b.RequireDecoder(), p)) > 1e-2);
    }

    // Gemma3ForConditionalGeneration: the text model nested in either transformers layout, beside vision tensors, runs as itself.
    [Theory]
    [InlineData("model.language_model.")]
    [InlineData("language_model.model.")]
    public void Gemma3MultimodalCheckpointRunsItsTextModel(string textPrefix)
    {
        using var variant = ModelVariant.Gemma3("llama-tiny", queryPreAttnScalar: 24);
        var oracle = new NaiveDecoder(variant.Folder);
        ModelVariant.NestAsGemma3Multimodal(variant.Folder, textPrefix);
        using var model = ModelLoader.Load(variant.Folder);
        Assert.Equal("gemma3", model.Architecture);
        Assert.DoesNotContain(model.Tensors, t => t.Name.Contains("vision") || t.Name.Contains("projector"));
        foreach (var p in Prompts.Where(p => p.Ids.Length > 5))
            Assert.True(ReferenceRun.RelativeMaxError(Flatten(oracle.Forward(p.Ids)), ReferenceRun.Logits(model.RequireDecoder(), p with { AllPositions = true })) <= 1e-4, p.Name);
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
