using System.Runtime.InteropServices;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Models.Tests.Families;

/// <summary>Which Hugging Face gpt-oss checkpoint <see cref="GptOssHfFolder"/> writes.</summary>
public enum GptOssCheckpoint
{
    /// <summary>openai/gpt-oss-*: experts as MXFP4 `*_blocks` and `*_scales`, `quantization_config.quant_method: mxfp4`.</summary>
    Mxfp4,
    /// <summary>The dequantized re-uploads: `gate_up_proj` [E, hidden, 2·ff] and `down_proj` [E, ff, hidden] in BF16.</summary>
    Bf16,
}

/// <summary>
/// Writes a synthetic gpt-oss GGUF (llama.cpp's layout) as the Hugging Face folder transformers would hold for the same
/// values, from the layouts' definitions alone: ggml's block_mxfp4 is an E8M0 byte then 16 bytes with element j in the low
/// nibble of byte j and j + 16 in the high one; transformers' `convert_moe_packed_tensors` reads `*_blocks` [E, rows, G, 16]
/// with element 2k in the low nibble of byte k and 2k + 1 in the high one, `*_scales` [E, rows, G] the exponents, rows being
/// output features; `gate_up_proj` interleaves gate (even) and up (odd) outputs; the plain experts are stored for x·W.
/// Everything else is written as F32 (the GGUF's F16 values exactly).
/// </summary>
internal static class GptOssHfFolder
{
    /// <summary>Writes <paramref name="gguf"/> as a folder <paramref name="folder"/> of kind <paramref name="kind"/>; <paramref name="truncate"/> is YaRN's.</summary>
    public static void Write(string gguf, string folder, GptOssCheckpoint kind, bool truncate = true, string? extraConfig = null)
    {
        Directory.CreateDirectory(folder);
        using var file = GgufFile.Open(gguf);
        var m = file.Metadata;
        int layers = m.GetInt32("gpt-oss.block_count"), experts = m.GetInt32("gpt-oss.expert_count");
        var hidden = m.GetInt32("gpt-oss.embedding_length");
        var ff = m.GetInt32("gpt-oss.expert_feed_forward_length");
        var vocab = (int)file.Find("token_embd.weight")!.Shape[0];
        var window = m.GetInt32("gpt-oss.attention.sliding_window");
        var heads = m.GetInt32("gpt-oss.attention.head_count");
        var headDim = m.TryGetInt32("gpt-oss.attention.key_length", out var k) ? k : hidden / heads;
        var layerTypes = string.Join(", ", Enumerable.Range(0, layers).Select(i => i % 2 == 0 ? "\"sliding_attention\"" : "\"full_attention\""));
        var quantization = kind == GptOssCheckpoint.Mxfp4 ? """, "quantization_config": {"quant_method": "mxfp4", "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}""" : "";
        File.WriteAllText(Path.Combine(folder, "config.json"), $$"""
            {"architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "vocab_size": {{vocab}}, "hidden_size": {{hidden}},
             "num_hidden_layers": {{layers}}, "num_attention_heads": {{heads}},
             "num_key_value_heads": {{m.GetInt32("gpt-oss.attention.head_count_kv")}}, "head_dim": {{headDim}},
             "intermediate_size": {{ff}}, "num_local_experts": {{experts}}, "num_experts_per_tok": {{m.GetInt32("gpt-oss.expert_used_count")}},
             "experts_per_token": {{m.GetInt32("gpt-oss.expert_used_count")}}, "max_position_embeddings": {{m.GetInt32("gpt-oss.context_length")}},
             "rms_norm_eps": 1e-05, "sliding_window": {{window}}, "layer_types": [{{layerTypes}}], "attention_bias": true,
             "swiglu_limit": 7.0, "hidden_act": "silu", "tie_word_embeddings": false, "rope_theta": 150000,
             "rope_scaling": {"rope_type": "yarn", "factor": 32.0, "original_max_position_embeddings": 4096, "beta_fast": 32.0, "beta_slow": 1.0, "truncate": {{(truncate ? "true" : "false")}}}{{quantization}}{{extraConfig}}}
            """);
        var w = new SafetensorsWriter();
        void Plain(string hf, string gg) => w.Add(hf, file.Find(gg)!.Shape, Floats(file, gg));
        Plain("model.embed_tokens.weight", "token_embd.weight");
        Plain("model.norm.weight", "output_norm.weight");
        Plain("lm_head.weight", "output.weight");
        for (var i = 0; i < layers; i++)
        {
            string hf = $"model.layers.{i}.", gg = $"blk.{i}.";
            Plain(hf + "input_layernorm.weight", gg + "attn_norm.weight");
            Plain(hf + "post_attention_layernorm.weight", gg + "post_attention_norm.weight");
            foreach (var (proj, name) in new[] { ("q_proj", "attn_q"), ("k_proj", "attn_k"), ("v_proj", "attn_v"), ("o_proj", "attn_output") })
            {
                Plain($"{hf}self_attn.{proj}.weight", $"{gg}{name}.weight");
                Plain($"{hf}self_attn.{proj}.bias", $"{gg}{name}.bias");
            }
            Plain(hf + "self_attn.sinks", gg + "attn_sinks.weight");
            Plain(hf + "mlp.router.weight", gg + "ffn_gate_inp.weight");
            Plain(hf + "mlp.router.bias", gg + "ffn_gate_inp.bias");
            w.Add(hf + "mlp.experts.gate_up_proj_bias", [experts, 2 * ff],
                Interleave(Floats(file, gg + "ffn_gate_exps.bias"), Floats(file, gg + "ffn_up_exps.bias"), experts * ff, 1));
            Plain(hf + "mlp.experts.down_proj_bias", gg + "ffn_down_exps.bias");
            if (kind == GptOssCheckpoint.Mxfp4)
            {
                var (gateCodes, gateScales) = HfMxfp4(file, gg + "ffn_gate_exps.weight");
                var (upCodes, upScales) = HfMxfp4(file, gg + "ffn_up_exps.weight");
                var groups = hidden / 32;
                w.Add(hf + "mlp.experts.gate_up_proj_blocks", DType.U8, [experts, 2 * ff, groups, 16], Interleave(gateCodes, upCodes, experts * ff, groups * 16));
                w.Add(hf + "mlp.experts.gate_up_proj_scales", DType.U8, [experts, 2 * ff, groups], Interleave(gateScales, upScales, experts * ff, groups));
                var (downCodes, downScales) = HfMxfp4(file, gg + "ffn_down_exps.weight");
                w.Add(hf + "mlp.experts.down_proj_blocks", DType.U8, [experts, hidden, ff / 32, 16], downCodes);
                w.Add(hf + "mlp.experts.down_proj_scales", DType.U8, [experts, hidden, ff / 32], downScales);
            }
            else
            {
                // x·W: gate_up_proj[e][c][2r] = gate[e][r][c], [2r + 1] = up[e][r][c]; down_proj[e][c][r] = down[e][r][c].
                var gateUp = Interleave(Floats(file, gg + "ffn_gate_exps.weight"), Floats(file, gg + "ffn_up_exps.weight"), experts * ff, hidden);
                w.Add(hf + "mlp.experts.gate_up_proj", DType.BF16, [experts, hidden, 2 * ff], Bf16(TransposeEach(gateUp, experts, 2 * ff, hidden)));
                w.Add(hf + "mlp.experts.down_proj", DType.BF16, [experts, ff, hidden], Bf16(TransposeEach(Floats(file, gg + "ffn_down_exps.weight"), experts, hidden, ff)));
            }
        }
        w.Write(Path.Combine(folder, "model.safetensors"));
    }

    /// <summary>The values of GGUF tensor <paramref name="name"/> as floats.</summary>
    public static float[] Floats(GgufFile file, string name)
    {
        var t = file.Find(name)!;
        var values = new float[t.ElementCount];
        Dequantizer.Dequantize(t.Type, t.Bytes, values);
        return values;
    }

    /// <summary>transformers' dequantization of HF MXFP4: FP4_VALUES[code] · 2^(scale − 127), element 2k from the low nibble of byte k.</summary>
    public static float[] HfMxfp4Values(ReadOnlySpan<byte> codes, ReadOnlySpan<byte> scales)
    {
        float[] fp4 = [0f, 0.5f, 1f, 1.5f, 2f, 3f, 4f, 6f, -0f, -0.5f, -1f, -1.5f, -2f, -3f, -4f, -6f];
        var values = new float[codes.Length * 2];
        for (var k = 0; k < codes.Length; k++)
        {
            var scale = MathF.Pow(2, scales[k / 16] - 127);
            values[2 * k] = fp4[codes[k] & 0xF] * scale;
            values[2 * k + 1] = fp4[codes[k] >> 4] * scale;
        }
        return values;
    }

    // A GGUF MXFP4 stack's blocks in HF's layout: the codes (16 bytes per block) and the exponents (one per block).
    private static (byte[] Codes, byte[] Scales) HfMxfp4(GgufFile file, string name)
    {
        var t = file.Find(name)!;
        Assert.Equal(DType.MXFP4, t.Type);
        var blocks = t.Bytes.ToArray();
        var count = blocks.Length / 17;
        var (codes, scales) = (new byte[count * 16], new byte[count]);
        for (var b = 0; b < count; b++)
        {
            scales[b] = blocks[b * 17];
            int Element(int j) => (blocks[b * 17 + 1 + j % 16] >> (j < 16 ? 0 : 4)) & 0xF;
            for (var k = 0; k < 16; k++) codes[b * 16 + k] = (byte)(Element(2 * k) | Element(2 * k + 1) << 4);
        }
        return (codes, scales);
    }

    // Row r of a and row r of b (rows of `width` items, `rows` of each) as rows 2r and 2r + 1.
    private static T[] Interleave<T>(T[] a, T[] b, int rows, int width)
    {
        var result = new T[a.Length * 2];
        for (var r = 0; r < rows; r++)
        {
            Array.Copy(a, r * width, result, 2 * r * width, width);
            Array.Copy(b, r * width, result, (2 * r + 1) * width, width);
        }
        return result;
    }

    private static float[] TransposeEach(float[] x, int count, int rows, int cols)
    {
        var result = new float[x.Length];
        for (var e = 0; e < count; e++)
            for (var r = 0; r < rows; r++)
                for (var c = 0; c < cols; c++) result[(e * cols + c) * rows + r] = x[(e * rows + r) * cols + c];
        return result;
    }

    // MXFP4 values (3 significant bits) are exact in BF16: its upper 16 bits.
    private static byte[] Bf16(float[] values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        var result = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(0u, bits[i] & 0xFFFF);
            BitConverter.TryWriteBytes(result.AsSpan(2 * i), (ushort)(bits[i] >> 16));
        }
        return result;
    }
}
