using Moxing.Core.Formats.Gguf;
using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// nomic-bert GGUFs (synth tiny-nomic-bert, as llama.cpp's converter writes them) against <see cref="EncoderReference"/>: fused
/// qkv without biases, NEOX rotary positions of the file's base over whole heads, SwiGLU; a reference without the rotation or
/// with the pairing llama.cpp's normal mode would use is far from the model, so the test fails when the switch is dropped.
/// </summary>
public sealed class NomicBertTests : IDisposable
{
    private static readonly int[][] Inputs = [[2, 40, 50, 3], [2, 17, 900, 301, 5, 77, 1000, 12, 3, 8, 8, 8]];
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-nomic-").FullName;

    // Synth's weights are small enough that attention is nearly uniform; q/k/v scaled up make positions (the rotation) matter.
    private string Synth(string type)
    {
        var path = Path.Combine(_dir, $"tiny-nomic-bert.{type}.gguf");
        SyntheticModelWriter.Write(SynthShape.Find("tiny-nomic-bert")!, SynthFileType.Find(type)!, 11, path);
        return type == "Q8_0" ? path : GgufCopy.Write(path, Path.Combine(_dir, "sharp.gguf"), scale: name => name.EndsWith("attn_qkv.weight", StringComparison.Ordinal) ? 8f : null);
    }

    [Fact]
    public void MatchesTheReferenceAndNeedsItsRotation()
    {
        var path = Synth("F16");
        using var model = ModelLoader.Load(path);
        using var file = GgufFile.Open(path);
        var encoder = model.RequireEncoder();
        Assert.True(encoder.Options.GatedFeedForward);
        Assert.Equal(1000, encoder.Options.Rope!.Theta);
        var reference = new EncoderReference(file, EncoderLayout.GgufNomicBert(1000), encoder.Options.HeadCount, encoder.Options.NormEps);
        var unrotated = new EncoderReference(file, EncoderLayout.GgufNomicBert(1000) with { RopeBase = null }, encoder.Options.HeadCount, encoder.Options.NormEps);
        foreach (var ids in Inputs)
        {
            var ours = encoder.Encode(ids);
            Assert.True(LogitErrors.RelativeMax(Flat(reference.Encode(ids)), ours) <= 1e-4, $"reference {string.Join(",", ids)}");
            Assert.True(LogitErrors.RelativeMax(Flat(unrotated.Encode(ids)), ours) > 1e-3, $"without rotation {string.Join(",", ids)}");
        }
    }

    [Fact]
    public void QuantizedFileStaysCloseToTheReference()
    {
        var path = Synth("Q8_0");
        using var model = ModelLoader.Load(path);
        using var file = GgufFile.Open(path);
        var o = model.RequireEncoder().Options;
        var reference = new EncoderReference(file, EncoderLayout.GgufNomicBert(1000), o.HeadCount, o.NormEps);
        foreach (var ids in Inputs)
            Assert.True(LogitErrors.RelativeMax(Flat(reference.Encode(ids)), model.RequireEncoder().Encode(ids)) <= 2e-2, string.Join(",", ids));
    }

    [Fact]
    public void MissingGateIsNamed()
    {
        var broken = GgufCopy.Write(Synth("F16"), Path.Combine(_dir, "no-gate.gguf"), drop: "blk.0.ffn_gate.weight");
        var e = Assert.Throws<Core.InvalidModelFileException>(() => ModelLoader.Load(broken));
        Assert.Contains("blk.0.ffn_gate.weight", e.Message);
    }

    internal static float[] Flat(double[][] rows) => rows.SelectMany(r => r.Select(v => (float)v)).ToArray();

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
