using System.Numerics.Tensors;
using Moxing.Models;
using Moxing.Models.Encoder;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>bert-tiny: hidden states within 1e-3 of transformers', pooled embedding cosine ≥ 0.99999.</summary>
public sealed class BertConformanceTests
{
    [Fact]
    public void HiddenStatesAndPooledEmbeddingMatch()
    {
        var folder = Fixtures.Path("hf", "models", "bert-tiny");
        using var model = ModelLoader.Load(folder);
        var encoder = model.RequireEncoder();
        using var reference = Core.Formats.Safetensors.SafetensorsFile.Open(Path.Combine(folder, "reference.safetensors"));
        for (var k = 0; reference.Find($"p{k}.ids") is { } idsTensor; k++)
        {
            var ids = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(idsTensor.Bytes).ToArray().Select(v => (int)v).ToArray();
            var expectedHidden = Floats(reference, $"p{k}.hidden");
            var hidden = encoder.Encode(ids);
            Assert.True(ReferenceRun.RelativeMaxError(expectedHidden, hidden) <= 1e-3, $"p{k} hidden");
            var pooled = BertModel.MeanPooledNormalized(hidden, encoder.Options.HiddenSize);
            var cosine = TensorPrimitives.CosineSimilarity(Floats(reference, $"p{k}.mean_pooled_normalized"), pooled);
            Assert.True(cosine >= 0.99999, $"p{k} cosine {cosine}");
        }
    }

    private static float[] Floats(Core.Formats.Safetensors.SafetensorsFile f, string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(f.Find(name)!.Bytes).ToArray();
}
