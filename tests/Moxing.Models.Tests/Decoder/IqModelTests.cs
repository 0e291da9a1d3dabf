using System.Buffers.Binary;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;

namespace Moxing.Models.Tests.Decoder;

/// <summary>
/// A model whose weights are stored as grid i-quants and ternary types (embedding, projections, head; round robin) gives the
/// logits of the same model with those weights decoded to F32, within the rounding of the 8-bit activations its products
/// take (as ggml's vec_dot with q8_K); prefill, decode steps and a mixed batch read them alike.
/// </summary>
public class IqModelTests
{
    private static readonly DType[] Types =
        [DType.IQ2_XXS, DType.IQ2_XS, DType.IQ2_S, DType.IQ3_XXS, DType.IQ3_S, DType.IQ1_S, DType.IQ1_M, DType.TQ1_0, DType.TQ2_0];

    [Fact]
    public void IQuantWeightsRunAsTheirDecodedValues()
    {
        using var synth = new SynthesizedModel("tiny-llama", "F16", 5);
        string quantized = Path.Combine(synth.Folder, "iq.gguf"), decoded = Path.Combine(synth.Folder, "decoded.gguf");
        var rng = new Random(11);
        var q = new GgufWriter();
        var f = new GgufWriter();
        var typed = 0;
        using (var file = GgufFile.Open(synth.Path))
        {
            foreach (var (key, value) in file.Metadata)
            {
                q.Set(key, value);
                f.Set(key, value);
            }
            foreach (var t in file.Tensors)
            {
                if (t.Shape.Length != 2)
                {
                    q.AddTensor(t.Name, t.Type, t.Shape, t.Bytes.ToArray());
                    f.AddTensor(t.Name, t.Type, t.Shape, t.Bytes.ToArray());
                    continue;
                }
                var type = Types[typed++ % Types.Length];
                var bytes = RandomBlocks(type, t.ElementCount, rng);
                var values = new float[t.ElementCount];
                Dequantizer.Dequantize(type, bytes, values);
                q.AddTensor(t.Name, type, t.Shape, bytes);
                f.AddF32(t.Name, t.Shape, values);
            }
        }
        Assert.True(typed >= Types.Length, $"only {typed} matrices");
        q.Write(quantized);
        f.Write(decoded);
        using var iq = ModelLoader.Load(quantized);
        using var reference = ModelLoader.Load(decoded);
        DecoderModel model = iq.RequireDecoder(), expected = reference.RequireDecoder();
        Assert.Contains(model.Weights.Linears, l => l.Weight.Type == DType.IQ1_M);
        var prompt = DecoderChecks.Ids(9, 3, model.Options.VocabSize);
        DecoderChecks.AssertClose(DecoderChecks.Alone(expected, DType.F32, prompt), DecoderChecks.Alone(model, DType.F32, prompt), 5e-2, "prefill");
        DecoderChecks.AssertClose(DecoderChecks.Alone(expected, DType.F32, prompt, [5], [6]), DecoderChecks.Alone(model, DType.F32, prompt, [5], [6]), 5e-2, "decode");
        DecoderChecks.ChunksEqualOneCallEqualTokenByToken(model, prompt);
        DecoderChecks.MixedBatchMatchesEachSequenceAlone(model, 0);
    }

    // Random blocks of the type whose fp16 scale makes the largest weight about 0.05 (a trained model's magnitudes).
    private static byte[] RandomBlocks(DType type, long elements, Random rng)
    {
        var blockBytes = type.BlockBytes();
        var bytes = new byte[type.ByteCount(elements)];
        rng.NextBytes(bytes);
        var (at, largest) = type switch
        {
            DType.IQ2_XXS or DType.IQ2_XS or DType.IQ2_S => (0, 43 * 3.875),
            DType.IQ3_XXS => (0, 62 * 7.75),
            DType.IQ3_S => (0, 15 * 31.0),
            DType.IQ1_S or DType.IQ1_M => (0, 15 * 1.125),
            DType.TQ1_0 => (52, 1.0),
            _ => (64, 1.0),
        };
        for (var b = 0; b < bytes.Length; b += blockBytes)
        {
            var d = BitConverter.HalfToUInt16Bits((Half)(0.05 / largest * (0.5 + rng.NextDouble())));
            var block = bytes.AsSpan(b, blockBytes);
            if (type != DType.IQ1_M)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(block[at..], d);
                continue;
            }
            // IQ1_M keeps its fp16 scale in the top nibbles of its four scale words
            for (var k = 0; k < 4; k++)
            {
                var word = BinaryPrimitives.ReadUInt16LittleEndian(block[(48 + 2 * k)..]);
                BinaryPrimitives.WriteUInt16LittleEndian(block[(48 + 2 * k)..], (ushort)((word & 0x0FFF) | (((d >> (4 * k)) & 0xF) << 12)));
            }
        }
        return bytes;
    }
}
