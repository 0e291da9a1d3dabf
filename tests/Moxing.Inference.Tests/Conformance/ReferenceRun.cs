using System.Runtime.InteropServices;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Tests;

namespace Moxing.Inference.Tests.Conformance;

/// <summary>One prompt of a reference file: ids, logits ([L, vocab] or [vocab]) and the 24-token greedy continuation.</summary>
public sealed record ReferencePrompt(string Name, int[] Ids, float[] Logits, bool AllPositions, int[] Greedy);

/// <summary>Reads reference.safetensors files and measures a model against them.</summary>
public static class ReferenceRun
{
    /// <summary>Every prompt pK in a reference file.</summary>
    public static List<ReferencePrompt> Read(string path, int vocab)
    {
        using var file = SafetensorsFile.Open(path);
        var prompts = new List<ReferencePrompt>();
        for (var k = 0; file.Find($"p{k}.ids") is { } ids; k++)
        {
            var logits = file.Find($"p{k}.logits")!;
            prompts.Add(new ReferencePrompt($"p{k}", Ints(ids), MemoryMarshal.Cast<byte, float>(logits.Bytes).ToArray(),
                logits.Shape.Length == 2, file.Find($"p{k}.greedy") is { } g ? Ints(g) : []));
        }
        Assert.NotEmpty(prompts);
        return prompts;
    }

    private static int[] Ints(StoredTensor t) =>
        t.Type == DType.I64 ? MemoryMarshal.Cast<byte, long>(t.Bytes).ToArray().Select(v => checked((int)v)).ToArray()
                            : MemoryMarshal.Cast<byte, int>(t.Bytes).ToArray();

    /// <summary>
    /// Our logits for the prompt: every position, or only the last, like the reference. Keys/values in F32 by default:
    /// the references are float32 transformers runs, which an F16 cache misses by ~1e-3.
    /// </summary>
    public static float[] Logits(DecoderModel model, ReferencePrompt p, DType kvType = DType.F32)
    {
        var session = new InferenceSession(model, p.Ids.Length, chunk: 16, kvType);
        if (!p.AllPositions) return session.Prefill(p.Ids).ToArray();
        var logits = new float[p.Ids.Length * model.Options.VocabSize];
        session.PrefillAll(p.Ids, logits);
        return logits;
    }

    /// <summary>Our greedy continuation of <paramref name="count"/> tokens, EOS ignored.</summary>
    public static int[] Greedy(DecoderModel model, int[] prompt, int count, DType kvType = DType.F32)
    {
        var session = new InferenceSession(model, prompt.Length + count, chunk: 16, kvType);
        var output = new List<int>();
        new TokenGenerator(session, new Sampler(SamplingOptions.Greedy, model.Options.VocabSize))
            .Generate(prompt, new GenerationLimits(count, []), id => { output.Add(id); return true; });
        return output.ToArray();
    }

    /// <summary>max|Δ| / max|ref| over all values (the fixtures' "a").</summary>
    public static double RelativeMaxError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual) => LogitErrors.RelativeMax(expected, actual);

    /// <summary>99th percentile of |Δ| / max|ref| (the fixtures' "c").</summary>
    public static double RelativeP99Error(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double maxRef = 0;
        foreach (var v in expected) maxRef = Math.Max(maxRef, Math.Abs(v));
        var diffs = new double[expected.Length];
        for (var i = 0; i < expected.Length; i++) diffs[i] = Math.Abs(expected[i] - actual[i]) / maxRef;
        Array.Sort(diffs);
        return diffs[(int)Math.Ceiling(0.99 * diffs.Length) - 1];
    }

    /// <summary>Loads a model and checks every prompt of its reference: logits within <paramref name="bound"/>, greedy identical; returns the worst a and c.</summary>
    public static (double A, double C) AssertMatches(string modelPath, string referencePath, double bound, bool checkGreedy, double? p99Bound = null,
        DType kvType = DType.F32)
    {
        double worstA = 0, worstC = 0;
        using var model = ModelLoader.Load(modelPath);
        var decoder = model.RequireDecoder();
        foreach (var p in Read(referencePath, decoder.Options.VocabSize))
        {
            var ours = Logits(decoder, p, kvType);
            var a = RelativeMaxError(p.Logits, ours);
            worstA = Math.Max(worstA, a);
            worstC = Math.Max(worstC, RelativeP99Error(p.Logits, ours));
            Assert.True(a <= bound, $"{p.Name}: max|Δ|/max|ref| = {a:E2} > {bound:E0}");
            if (p99Bound is { } c)
            {
                var p99 = RelativeP99Error(p.Logits, ours);
                Assert.True(p99 <= c, $"{p.Name}: p99 |Δ|/max|ref| = {p99:E2} > {c:E0}");
            }
            if (checkGreedy && p.Greedy.Length > 0)
                Assert.Equal(p.Greedy, Greedy(decoder, p.Ids, p.Greedy.Length, kvType));
        }
        return (worstA, worstC);
    }
}
