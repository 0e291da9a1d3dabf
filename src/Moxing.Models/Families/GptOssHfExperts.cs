using Moxing.Core;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// A Hugging Face gpt-oss checkpoint's experts as the decoder reads them: per layer a [experts, ff, hidden] gate and up stack
/// and an [experts, hidden, ff] down stack with [experts, rows] F32 biases, under the names of
/// <see cref="GptOssFamily"/>'s HF scheme. The checkpoint fuses gate and up with their rows (or columns) interleaved — gate
/// even, up odd — and stores either MXFP4 (`*_blocks` [E, rows, cols/32, 16] codes two per byte, element 2j in the low nibble
/// of byte j, and `*_scales` [E, rows, cols/32] E8M0 exponents, rows being output features as in ggml) or plain matrices
/// transposed for x·W (`gate_up_proj` [E, hidden, 2·ff], `down_proj` [E, ff, hidden]). MXFP4 stays MXFP4: each block is
/// rewritten as ggml's block_mxfp4 (the exponent byte, then element j in the low nibble of byte j and j + 16 in its high
/// nibble; codes and exponent keep their values, as w = E2M1(code)·2^(e − 127) in both). Views cannot serve: ggml keeps the
/// exponent inside each 17-byte block, and the nibbles are ordered differently.
/// </summary>
public static class GptOssHfExperts
{
    private const int Block = 32;

    /// <summary>The derived expert tensors of every layer of <paramref name="tensors"/>, checked against <paramref name="o"/>; errors name <paramref name="path"/> and the tensor.</summary>
    public static IReadOnlyList<DerivedTensor> Derive(ITensorSource tensors, DecoderOptions o, string path)
    {
        var moe = o.Moe ?? throw new InvalidModelFileException(path, "gpt-oss needs a mixture of experts (num_local_experts)");
        var find = new PrefixedTensors(tensors, "model.");
        var result = new List<DerivedTensor>();
        for (var layer = 0; layer < o.LayerCount; layer++)
        {
            var layerExperts = new LayerExperts(find, path, $"model.layers.{layer}.mlp.experts.", moe.ExpertCount, moe.ExpertFeedForward, o.HiddenSize);
            result.AddRange(layerExperts.Derive());
        }
        return result;
    }

    private sealed class LayerExperts(PrefixedTensors find, string path, string prefix, int experts, int ff, int hidden)
    {
        public IEnumerable<DerivedTensor> Derive()
        {
            if (find.Find(prefix + "gate_up_proj_blocks") is { } gateUpBlocks)
            {
                var gateUpScales = Scales(gateUpBlocks, "gate_up_proj_scales", 2 * ff, hidden);
                var downBlocks = Require("down_proj_blocks");
                var downScales = Scales(downBlocks, "down_proj_scales", hidden, ff);
                yield return Mxfp4("gate_proj.weight", gateUpBlocks, gateUpScales, ff, hidden, 0, 2);
                yield return Mxfp4("up_proj.weight", gateUpBlocks, gateUpScales, ff, hidden, 1, 2);
                yield return Mxfp4("down_proj.weight", downBlocks, downScales, hidden, ff, 0, 1);
            }
            else
            {
                var gateUp = find.Find(prefix + "gate_up_proj")
                             ?? throw new InvalidModelFileException(path, $"tensor '{prefix}gate_up_proj_blocks' (MXFP4) or '{prefix}gate_up_proj' is missing");
                var down = Require("down_proj");
                CheckPlain(gateUp, hidden, 2 * ff);
                CheckPlain(down, ff, hidden);
                yield return TransposedExperts.Rows(prefix + "gate_proj.weight", gateUp, ff, 0, 2);
                yield return TransposedExperts.Rows(prefix + "up_proj.weight", gateUp, ff, 1, 2);
                yield return TransposedExperts.Rows(prefix + "down_proj.weight", down, hidden, 0, 1);
            }
            var gateUpBias = Bias("gate_up_proj_bias", 2 * ff);
            var downBias = Bias("down_proj_bias", hidden);
            yield return BiasRows("gate_proj.bias", gateUpBias, ff, 0, 2);
            yield return BiasRows("up_proj.bias", gateUpBias, ff, 1, 2);
            yield return BiasRows("down_proj.bias", downBias, hidden, 0, 1);
        }

        private StoredTensor Require(string name) =>
            find.Find(prefix + name) ?? throw new InvalidModelFileException(path, $"tensor '{prefix}{name}' is missing");

        private InvalidModelFileException Shape(StoredTensor t, string expected) =>
            new(path, $"tensor '{t.Name}' is {t.Type} [{string.Join(", ", t.Shape)}], expected {expected} from the model's configuration");

        // blocks [E, rows, cols/32, 16] U8 and their scales [E, rows, cols/32] U8.
        private StoredTensor Scales(StoredTensor blocks, string scalesName, int rows, int cols)
        {
            if (cols % Block != 0) throw new InvalidModelFileException(path, $"tensor '{blocks.Name}': MXFP4 rows of {cols} are not whole blocks of {Block}");
            long[] blockShape = [experts, rows, cols / Block, Block / 2], scaleShape = [experts, rows, cols / Block];
            if (blocks.Type != DType.U8 || !blocks.Shape.SequenceEqual(blockShape)) throw Shape(blocks, $"U8 [{string.Join(", ", blockShape)}]");
            var scales = find.Find(prefix + scalesName)
                         ?? throw new InvalidModelFileException(path, $"tensor '{prefix}{scalesName}' is missing (the exponents of '{blocks.Name}')");
            if (scales.Type != DType.U8 || !scales.Shape.SequenceEqual(scaleShape)) throw Shape(scales, $"U8 [{string.Join(", ", scaleShape)}]");
            return scales;
        }

        private void CheckPlain(StoredTensor t, int rows, int cols)
        {
            if (t.Type is not (DType.F32 or DType.F16 or DType.BF16) || !t.Shape.SequenceEqual(new long[] { experts, rows, cols }))
                throw Shape(t, $"F32, F16 or BF16 [{experts}, {rows}, {cols}]");
        }

        private StoredTensor Bias(string name, int rows)
        {
            var t = Require(name);
            if (t.Type is not (DType.F32 or DType.F16 or DType.BF16) || !t.Shape.SequenceEqual(new long[] { experts, rows }))
                throw Shape(t, $"F32, F16 or BF16 [{experts}, {rows}]");
            return t;
        }

        // Rows first, first + step, … of each expert's [rows·step, cols] MXFP4 matrix, as ggml blocks.
        private unsafe DerivedTensor Mxfp4(string name, StoredTensor blocks, StoredTensor scales, int rows, int cols, int first, int step) =>
            new(prefix + name, DType.MXFP4, [experts, rows, cols], [blocks.Name, scales.Name], target =>
            {
                var perRow = cols / Block;
                byte* codes = blocks.Data, exponents = scales.Data, output = (byte*)target;
                Parallel.For(0, (long)experts * rows, row =>
                {
                    var source = row / rows * rows * step + row % rows * step + first;
                    var dst = output + row * perRow * (Block / 2 + 1);
                    for (var b = 0; b < perRow; b++)
                        Mxfp4Block(codes + (source * perRow + b) * (Block / 2), exponents[source * perRow + b], dst + b * (Block / 2 + 1));
                });
            });

        // Entries first, first + step, … of each expert's bias row, as F32.
        private unsafe DerivedTensor BiasRows(string name, StoredTensor t, int rows, int first, int step) =>
            new(prefix + name, DType.F32, [experts, rows], [t.Name], target =>
            {
                var all = new float[t.ElementCount];
                Dequantizer.Dequantize(t.Type, t.Bytes, all);
                var output = new Span<float>((void*)target, experts * rows);
                for (var e = 0; e < experts; e++)
                    for (var r = 0; r < rows; r++) output[e * rows + r] = all[(long)e * rows * step + r * step + first];
            });
    }

    /// <summary>
    /// One HF MXFP4 block (16 bytes, element 2j in the low nibble of byte j, 2j + 1 in its high nibble) and its exponent as
    /// ggml's 17-byte block_mxfp4: the exponent, then element j in the low nibble of byte j and j + 16 in its high nibble.
    /// </summary>
    public static unsafe void Mxfp4Block(byte* codes, byte exponent, byte* target)
    {
        target[0] = exponent;
        for (var j = 0; j < Block / 2; j++)
        {
            var low = (codes[j >> 1] >> ((j & 1) * 4)) & 0xF;
            var k = j + Block / 2;
            var high = (codes[k >> 1] >> ((k & 1) * 4)) & 0xF;
            target[1 + j] = (byte)(low | high << 4);
        }
    }
}
