using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Moxing.Core;
using Moxing.Core.Formats;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Conversion;

/// <summary>
/// A Hugging Face decoder folder (F32/F16/BF16 safetensors) seen as the GGUF llama.cpp's convert_hf_to_gguf.py would write:
/// its metadata, tensors under GGUF names, llama-family Q/K rows permuted for llama.cpp's rotation, GPT-2's Conv1D weights
/// transposed, Gemma 2/3's norms as 1 + w, norms and biases as F32, llama3 RoPE scaling as rope_freqs.weight, Phi-3's LongRoPE as
/// rope_factors_long/short.weight, mixture-of-experts matrices stacked into one [experts, rows, cols] tensor per projection and
/// layer (Qwen2-MoE's shared-expert gate as a vector), gpt-oss's fused experts split into gate/up/down stacks (MXFP4 blocks
/// repacked into ggml's layout and kept MXFP4 whatever the mix; <see cref="Families.GptOssHfExperts"/>), routers and biases
/// as F32, convolution kernels of LFM2 and Mamba squeezed to [channels, taps], Mamba's A_log written as A = −exp(A_log),
/// Falcon-H1's muP multipliers folded into the rows of the matrices they follow.
/// Tensors are converted one at a time, when read.
/// </summary>
public sealed class HfGgufInput : IQuantizationInput, IDisposable
{
    // Tensors transformers keeps as buffers, which the converter drops.
    // Causal masks (GPT-2's, older GPT-NeoX checkpoints'), rotary caches, and Apertus's xIELU scalars (written as xielu.* keys instead).
    private static readonly string[] IgnoredSuffixes =
        [".attn.bias", ".attn.masked_bias", ".attention.bias", ".attention.masked_bias", ".rotary_emb.inv_freq", ".act_fn.alpha_p", ".act_fn.alpha_n", ".act_fn.beta", ".act_fn.eps"];

    private readonly ITensorSource _tensors;
    private readonly Dictionary<string, (StoredTensor Source, Transform Transform)> _byGgufName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _extra = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StoredTensor?[]> _stacks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (DerivedTensor Tensor, Transform Transform)> _derived = new(StringComparer.Ordinal);
    private readonly DecoderOptions _options;
    private readonly Dictionary<string, float[]> _rowScales = new(StringComparer.Ordinal);
    // Qwen3.5's Gated DeltaNet tensors whose value heads the converter reorders (GGUF names).
    private readonly HashSet<string> _tiled = new(StringComparer.Ordinal);

    private enum Transform
    {
        None,
        ToF32,
        NormPlusOne,
        PermuteQ,
        PermuteK,
        Transpose,
        KeyHalfOfKvB,
        ValueHalfOfKvB,
        NegativeExp,
        ScaleRows,
        PadRows,
    }

    /// <inheritdoc />
    public string SourcePath { get; }

    /// <inheritdoc />
    public GgufMetadata Metadata { get; }

    /// <inheritdoc />
    public IReadOnlyList<TensorHeader> Tensors { get; }

    /// <summary>Opens <paramref name="folder"/>; errors name the file and what cannot be converted.</summary>
    public HfGgufInput(string folder)
    {
        SourcePath = folder;
        var configPath = Path.Combine(folder, "config.json");
        if (!File.Exists(configPath)) throw new InvalidModelFileException(folder, "not a model folder: config.json is missing");
        var config = HfConfig.Load(configPath);
        var modelType = config.GetString("model_type");
        var family = ModelRegistry.ForModelType(modelType);
        var architecture = HfGgufMetadata.Architecture(modelType);
        if (family == null || architecture == null)
            throw new InvalidModelFileException(configPath, $"model_type '{modelType}' cannot be converted to GGUF yet (supported: {HfGgufMetadata.ConvertibleList})");
        _options = family.FromHf(config);
        // NemotronHModel writes a Nemotron-H with experts as nemotron_h_moe.
        if (architecture == "nemotron_h" && _options.Moe != null) architecture = "nemotron_h_moe";
        var metadata = HfGgufMetadata.Build(folder, config, _options, architecture);
        // A multimodal checkpoint's text model under its text names; the vision tower and projector are not converted.
        _tensors = family.HfNames.View(ModelTensors.OpenFolder(folder), folder);
        try
        {
            var names = family.HfNames.MapTo(family.GgufNames, _options.LayerCount);
            // GraniteMoeModel.modify_tensors: without experts the shared MLP is written as the plain feed-forward.
            if (architecture == "granitehybrid" && _options.Moe == null)
                names = names.ToDictionary(e => e.Key, e => e.Value.Replace("_shexp.", ".", StringComparison.Ordinal), StringComparer.Ordinal);
            var experts = ExpertStacks(family.HfNames, family.GgufNames);
            var headers = new List<TensorHeader>();
            // Tensors stored in a layout of the checkpoint's own (gpt-oss's experts) are computed when read; MXFP4 stays MXFP4.
            var derived = family.DerivedHfTensors(_tensors, _options, folder);
            var consumed = derived.SelectMany(d => d.From).ToHashSet(StringComparer.Ordinal);
            foreach (var d in derived)
            {
                var gguf = names.GetValueOrDefault(d.Name) ?? throw new InvalidModelFileException(folder, $"tensor '{d.Name}' has no GGUF name for {modelType}");
                // InternLM2's q and k split from its wqkv are permuted as any llama-converted projection.
                var transform = d.Type == DType.MXFP4 ? Transform.None : TransformFor(gguf, d.Name, d.Type, d.Shape.Length, architecture, false);
                _derived[gguf] = (d, transform);
                headers.Add(new TensorHeader(gguf, transform is Transform.ToF32 or Transform.NormPlusOne ? DType.F32 : d.Type, d.Shape, KeepType: d.Type == DType.MXFP4));
            }
            foreach (var (name, values) in HfGgufMetadata.ExtraTensors(architecture, _options.Rope))
            {
                _extra[name] = values;
                headers.Add(new TensorHeader(name, DType.F32, [values.Length]));
            }
            var nextN = NextNPrefixes(config, family.HfNames.BasePrefix, _options.LayerCount);
            var folded = architecture == "falcon-h1" ? Families.FalconH1Family.FoldedMultipliers(config, _options) : [];
            foreach (var t in _tensors.Tensors)
            {
                if (IgnoredSuffixes.Any(s => t.Name.EndsWith(s, StringComparison.Ordinal)) || consumed.Contains(t.Name)) continue;
                if (nextN.Any(p => (t.Name.StartsWith(family.HfNames.BasePrefix, StringComparison.Ordinal) ? t.Name : family.HfNames.BasePrefix + t.Name).StartsWith(p, StringComparison.Ordinal))) continue;
                // Gemma and Gemma 2 tie their head to the embeddings; the converter drops an lm_head (autoawq writes one).
                if (architecture is "gemma" or "gemma2" && t.Name == family.HfNames.Output) continue;
                if (experts.TryGetValue(t.Name, out var expert) || experts.TryGetValue(family.HfNames.BasePrefix + t.Name, out expert))
                {
                    if (t.Type is not (DType.F32 or DType.F16 or DType.BF16))
                        throw new InvalidModelFileException(folder, $"tensor '{t.Name}' is {t.Type}; quantize converts F32, F16 and BF16 folders");
                    _stacks.GetValueOrDefault(expert.Stack)![expert.Index] = t;
                    continue;
                }
                var gguf = names.GetValueOrDefault(t.Name) ?? names.GetValueOrDefault(family.HfNames.BasePrefix + t.Name)
                    ?? throw new InvalidModelFileException(folder, $"tensor '{t.Name}' has no GGUF name for {modelType}");
                if (t.Type is not (DType.F32 or DType.F16 or DType.BF16))
                    throw new InvalidModelFileException(folder, $"tensor '{t.Name}' is {t.Type}; quantize converts F32, F16 and BF16 folders");
                if (architecture == "deepseek2" && gguf.EndsWith(".attn_kv_b.weight", StringComparison.Ordinal))
                {
                    headers.AddRange(SplitKvB(gguf, t));
                    continue;
                }
                var transform = TransformFor(gguf, t.Name, t.Type, t.Shape.Length, architecture, family.HfNames.TransposedLinears);
                // FalconH1Model folds the muP multipliers into the matrices they follow (written as F32 here).
                if (folded.TryGetValue(t.Name, out var rowScales) || folded.TryGetValue(family.HfNames.BasePrefix + t.Name, out rowScales))
                {
                    if (rowScales.Length != t.Shape[0]) throw new InvalidModelFileException(folder, $"tensor '{t.Name}' has {t.Shape[0]} rows; its multipliers are for {rowScales.Length}");
                    _rowScales[gguf] = rowScales;
                    transform = Transform.ScaleRows;
                }
                // Gemma3NModel pads the per-layer table with zero rows up to the vocabulary (vocab_size_per_layer_input is shorter).
                var padded = architecture == "gemma3n" && gguf == family.GgufNames.PerLayerTokenTable && t.Shape[0] < _options.VocabSize;
                if (padded) transform = Transform.PadRows;
                _byGgufName[gguf] = (t, transform);
                if (architecture is "qwen35" or "qwen35moe" && QwenValueHeads.Tiles(gguf, _options)) _tiled.Add(gguf);
                // transformers' shared_expert_gate is Linear(hidden, 1); the converter writes its one row as a vector.
                var shape = transform == Transform.Transpose ? [t.Shape[1], t.Shape[0]] : padded ? [_options.VocabSize, t.Shape[1]]
                    : gguf.EndsWith(".ffn_gate_inp_shexp.weight", StringComparison.Ordinal) ? [t.ElementCount] : RecurrentShape(gguf, t.Shape);
                headers.Add(new TensorHeader(gguf, transform is Transform.ToF32 or Transform.NormPlusOne or Transform.NegativeExp or Transform.ScaleRows || t.Shape.Length == 1 ? DType.F32 : t.Type, shape));
            }
            headers.AddRange(StackHeaders(folder));
            metadata["general.size_label"] = HfGgufMetadata.SizeLabel(headers);
            metadata["general.file_type"] = FileType(headers);
            Metadata = new GgufMetadata(folder, metadata);
            Tensors = headers;
        }
        catch
        {
            _tensors.Dispose();
            throw;
        }
    }

    // The layers num_nextn_predict_layers stores after the model's own (GLM-4.5's, DeepSeek-V3's multi-token prediction), which the
    // decoder does not run: left out (llama.cpp's converter keeps GLM-4.5's, and llama.cpp loads and skips them).
    private static string[] NextNPrefixes(HfConfig config, string basePrefix, int layers) =>
        [.. Enumerable.Range(layers, Math.Max(0, config.GetInt("num_nextn_predict_layers", 0))).Select(i => $"{basePrefix}layers.{i}.")];

    // Every expert matrix of the folder's sparse layers stored one per expert: HF name → (the GGUF stack it goes into, its index there).
    private Dictionary<string, (string Stack, int Index)> ExpertStacks(DecoderTensorNames hf, DecoderTensorNames gguf)
    {
        var result = new Dictionary<string, (string, int)>(StringComparer.Ordinal);
        // Gemma3NModel stacks the extra AltUp streams' projections into altup_proj and altup_unembd_proj.
        if (_options.AltUp is { } altUp)
            foreach (var slot in new Func<DecoderTensorNames, string?>[] { n => n.AltUpProjections, n => n.AltUpUnembedProjections })
            {
                var stack = slot(gguf)!;
                _stacks[stack] = new StoredTensor?[altUp.Streams - 1];
                for (var e = 0; e < altUp.Streams - 1; e++) result[DecoderTensorNames.ForExpert(slot(hf)!, 0, e)] = (stack, e);
            }
        if (_options.Moe is not { } moe) return result;
        foreach (var slot in new Func<DecoderTensorNames, string?>[] { n => n.ExpertGate, n => n.ExpertUp, n => n.ExpertDown })
            for (var layer = 0; layer < _options.LayerCount && slot(hf) is { } pattern && DecoderTensorNames.PerExpert(pattern); layer++)
            {
                // Ungated experts (Nemotron-H's) name no gate; a block without a feed-forward has no experts.
                if (!moe.IsSparse(layer) || !_options.HasFeedForwardAt(layer)) continue;
                var stack = DecoderTensorNames.ForLayer(slot(gguf)!, layer);
                _stacks[stack] = new StoredTensor?[moe.ExpertCount];
                for (var e = 0; e < moe.ExpertCount; e++) result[DecoderTensorNames.ForExpert(slot(hf)!, layer, e)] = (stack, e);
            }
        return result;
    }

    // DeepseekV2Model.modify_tensors: kv_b_proj split per head into attn_k_b [heads, rank, nope] (each head's key rows transposed)
    // and attn_v_b [heads, value dims, rank], in the checkpoint's type.
    private IEnumerable<TensorHeader> SplitKvB(string gguf, StoredTensor t)
    {
        var o = _options;
        int heads = o.HeadCount, nope = o.HeadDim - o.Mla!.RopeDim, rank = o.Mla.KvLoraRank;
        if (t.Shape.Length != 2 || t.Shape[0] != heads * (nope + o.ValueDim) || t.Shape[1] != rank)
            throw new InvalidModelFileException(SourcePath, $"tensor '{t.Name}' has shape [{string.Join(", ", t.Shape)}], expected [{heads * (nope + o.ValueDim)}, {rank}] from the model's configuration");
        var (key, value) = (gguf.Replace("attn_kv_b", "attn_k_b", StringComparison.Ordinal), gguf.Replace("attn_kv_b", "attn_v_b", StringComparison.Ordinal));
        _byGgufName[key] = (t, Transform.KeyHalfOfKvB);
        _byGgufName[value] = (t, Transform.ValueHalfOfKvB);
        return [new TensorHeader(key, t.Type, [heads, rank, nope]), new TensorHeader(value, t.Type, [heads, o.ValueDim, rank])];
    }

    // One [experts, rows, cols] header per stack, whose experts must all be present with one type and shape.
    private IEnumerable<TensorHeader> StackHeaders(string folder)
    {
        foreach (var (name, experts) in _stacks)
        {
            var first = experts[0];
            for (var e = 0; e < experts.Length; e++)
            {
                var t = experts[e] ?? throw new InvalidModelFileException(folder, $"expert {e} of '{name}' is missing from the checkpoint");
                if (t.Type != first!.Type || !t.Shape.SequenceEqual(first.Shape) || t.Shape.Length != 2)
                    throw new InvalidModelFileException(folder, $"tensor '{t.Name}' is {t.Type} [{string.Join(", ", t.Shape)}], unlike expert 0's {first.Type} [{string.Join(", ", first.Shape)}]");
            }
            yield return new TensorHeader(name, first!.Type, [experts.Length, first.Shape[0], first.Shape[1]]);
        }
    }

    // LFM2Model, MambaModel and Mamba2Model squeeze a convolution's [channels, 1, taps] kernel to [channels, taps]; Mamba2Model writes A
    // and D per head as [heads, 1] and the gated norm as [groups, inner / groups] (Mamba 1's A [inner, state] and D [inner] stay).
    private long[] RecurrentShape(string gguf, long[] shape)
    {
        if (gguf.EndsWith(".shortconv.conv.weight", StringComparison.Ordinal) || gguf.EndsWith(".ssm_conv1d.weight", StringComparison.Ordinal))
            return shape.Length == 3 ? [shape[0], shape[2]] : shape;
        if (_options.Mamba is { Selective: false } && (gguf.EndsWith(".ssm_a", StringComparison.Ordinal) || gguf.EndsWith(".ssm_d", StringComparison.Ordinal))) return [shape[0], 1];
        if (gguf.EndsWith(".ssm_norm.weight", StringComparison.Ordinal) && _options.Mamba is { } m) return [m.Groups, m.Inner / m.Groups];
        return shape;
    }

    private static Transform TransformFor(string gguf, string name, DType type, int rank, string architecture, bool transposedLinears)
    {
        // Mamba2Model: A = −exp(A_log).
        if (gguf.EndsWith(".ssm_a", StringComparison.Ordinal)) return Transform.NegativeExp;
        // Gemma's RMSNorm (Gemma 3's q/k norms too) and Nemotron's LayerNorm1P multiply by 1 + w; llama.cpp's by w.
        if (architecture is "gemma" or "gemma2" or "gemma3" or "nemotron" && name.EndsWith("norm.weight", StringComparison.Ordinal)) return Transform.NormPlusOne;
        // Qwen3NextModel.modify_tensors: every RMSNorm's 1 + w but the Gated DeltaNet's gated norm.
        if (architecture is "qwen3next" or "qwen35" or "qwen35moe" && name.EndsWith("norm.weight", StringComparison.Ordinal) && !name.EndsWith("linear_attn.norm.weight", StringComparison.Ordinal))
            return Transform.NormPlusOne;
        var permutes = HfGgufMetadata.PermutesQk(architecture);
        if (rank == 1)
        {
            var permuted = permutes && gguf.EndsWith(".attn_q.bias", StringComparison.Ordinal) ? Transform.PermuteQ
                : permutes && gguf.EndsWith(".attn_k.bias", StringComparison.Ordinal) ? Transform.PermuteK : Transform.None;
            return permuted != Transform.None ? permuted : type == DType.F32 ? Transform.None : Transform.ToF32;
        }
        // The converter writes every bias, norm (Cohere's [heads, head_dim] q/k norms too), router (ffn_gate_inp, ffn_gate_inp_shexp)
        // and AltUp coefficient matrix as F32.
        if (gguf.EndsWith(".bias", StringComparison.Ordinal) || gguf.EndsWith("_norm.weight", StringComparison.Ordinal) || gguf.EndsWith(".ffn_gate_inp.weight", StringComparison.Ordinal)
            || gguf.EndsWith(".ffn_gate_inp_shexp.weight", StringComparison.Ordinal) || gguf.EndsWith(".altup_correct_coef.weight", StringComparison.Ordinal)
            || gguf.EndsWith(".altup_predict_coef.weight", StringComparison.Ordinal))
            return type == DType.F32 ? Transform.None : Transform.ToF32;
        if (permutes && gguf.EndsWith(".attn_q.weight", StringComparison.Ordinal)) return Transform.PermuteQ;
        if (permutes && gguf.EndsWith(".attn_k.weight", StringComparison.Ordinal)) return Transform.PermuteK;
        // GPT-2's Conv1D weights are [in, out]; its LM head and embeddings are not.
        return transposedLinears && gguf.StartsWith("blk.", StringComparison.Ordinal) ? Transform.Transpose : Transform.None;
    }

    // general.file_type as the converter sets it: the type of the matrices (ALL_F32 = 0, MOSTLY_F16 = 1, MOSTLY_BF16 = 32), or
    // MOSTLY_MXFP4_MOE (38) when MXFP4 experts are kept.
    private static uint FileType(List<TensorHeader> headers) =>
        headers.Any(h => h.Type == DType.MXFP4) ? 38u : headers.Where(h => h.Shape.Length == 2).Select(h => h.Type).DefaultIfEmpty(DType.F32).First() switch
        {
            DType.F16 => 1u,
            DType.BF16 => 32u,
            _ => 0u,
        };

    /// <inheritdoc />
    public unsafe void Read(string name, Action<StoredTensor> use)
    {
        var header = Tensors.FirstOrDefault(h => h.Name == name) ?? throw new InvalidModelFileException(SourcePath, $"tensor '{name}' is missing");
        if (_extra.TryGetValue(name, out var values))
        {
            fixed (float* p = values) use(new StoredTensor(name, DType.F32, header.Shape, (byte*)p, values.Length * 4L));
            return;
        }
        if (_derived.TryGetValue(name, out var derived))
        {
            var (tensor, derivedTransform) = derived;
            var computed = (byte*)NativeMemory.Alloc((nuint)tensor.ByteLength);
            try
            {
                tensor.WriteTo(computed);
                var computedTensor = new StoredTensor(tensor.Name, tensor.Type, tensor.Shape, computed, tensor.ByteLength);
                if (derivedTransform == Transform.None) use(computedTensor);
                else Transformed(computedTensor, name, header, derivedTransform, use);
            }
            finally
            {
                NativeMemory.Free(computed);
            }
            return;
        }
        if (_stacks.TryGetValue(name, out var experts))
        {
            var expertBytes = experts[0]!.ByteLength;
            var stacked = (byte*)NativeMemory.Alloc((nuint)(expertBytes * experts.Length));
            try
            {
                for (var e = 0; e < experts.Length; e++) Buffer.MemoryCopy(experts[e]!.Data, stacked + e * expertBytes, expertBytes, expertBytes);
                use(new StoredTensor(name, header.Type, header.Shape, stacked, expertBytes * experts.Length));
            }
            finally
            {
                NativeMemory.Free(stacked);
            }
            return;
        }
        var (source, transform) = _byGgufName[name];
        if (transform == Transform.None && !_tiled.Contains(name)) use(source);
        else Transformed(source, name, header, transform, use);
    }

    // source converted by transform into header's type, under its GGUF name.
    private unsafe void Transformed(StoredTensor source, string name, TensorHeader header, Transform transform, Action<StoredTensor> use)
    {
        var bytes = header.Type.ByteCount(header.Shape.Aggregate(1L, (a, d) => a * d));
        var memory = (byte*)NativeMemory.Alloc((nuint)bytes);
        try
        {
            var converted = new StoredTensor(name, header.Type, header.Shape, memory, bytes);
            ConvertInto(source, name, transform, header.Type, memory);
            if (_tiled.Contains(name)) QwenValueHeads.Tile(name, header, _options.DeltaNet!, memory);
            use(converted);
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    private unsafe void ConvertInto(StoredTensor source, string name, Transform transform, DType type, byte* target)
    {
        if (transform == Transform.NegativeExp)
        {
            var values = new Span<float>(target, checked((int)source.ElementCount));
            Dequantizer.Dequantize(source.Type, source.Bytes, values);
            foreach (ref var v in values) v = -MathF.Exp(v);
            return;
        }
        if (transform == Transform.NormPlusOne)
        {
            AddOne(source, target);
            return;
        }
        if (transform == Transform.ScaleRows)
        {
            var values = new Span<float>(target, checked((int)source.ElementCount));
            Dequantizer.Dequantize(source.Type, source.Bytes, values);
            var scales = _rowScales[name];
            var width = values.Length / scales.Length;
            for (var r = 0; r < scales.Length; r++) TensorPrimitives.Multiply(values.Slice(r * width, width), scales[r], values.Slice(r * width, width));
            return;
        }
        if (transform == Transform.PadRows)
        {
            Buffer.MemoryCopy(source.Data, target, source.ByteLength, source.ByteLength);
            var total = type.ByteCount(_options.VocabSize * source.Shape[1]);
            new Span<byte>(target + source.ByteLength, checked((int)(total - source.ByteLength))).Clear();
            return;
        }
        if (transform == Transform.None && type == source.Type)
        {
            Buffer.MemoryCopy(source.Data, target, source.ByteLength, source.ByteLength);
            return;
        }
        if (transform is Transform.KeyHalfOfKvB or Transform.ValueHalfOfKvB)
        {
            SplitKvB(source, transform == Transform.KeyHalfOfKvB, target);
            return;
        }
        if (type != source.Type || transform == Transform.ToF32)
        {
            // 1-D tensors become F32 first; a permuted bias is then permuted in place below.
            var floats = new Span<float>(target, checked((int)source.ElementCount));
            Dequantizer.Dequantize(source.Type, source.Bytes, floats);
            if (transform == Transform.ToF32) return;
            var copy = floats.ToArray();
            fixed (float* p = copy) PermuteRows(new StoredTensor(source.Name, DType.F32, source.Shape, (byte*)p, copy.Length * 4L), transform, target);
            return;
        }
        if (transform == Transform.Transpose) Transpose(source, target);
        else PermuteRows(source, transform, target);
    }

    // Gemma2Model.modify_tensors adds 1 in the tensor's own type (BF16 is widened to F32 first, F16 stays F16); norms are written as F32.
    private static unsafe void AddOne(StoredTensor source, byte* target)
    {
        var values = new Span<float>(target, checked((int)source.ElementCount));
        Dequantizer.Dequantize(source.Type, source.Bytes, values);
        for (var i = 0; i < values.Length; i++) values[i] = source.Type == DType.F16 ? (float)(Half)(values[i] + 1) : values[i] + 1;
    }

    // convert_hf_to_gguf.py's LlamaModel.permute: within each head, rows (pair j, index i) move to (index i, pair j).
    private unsafe void PermuteRows(StoredTensor source, Transform transform, byte* target)
    {
        var heads = transform == Transform.PermuteQ ? _options.HeadCount : _options.KvHeadCount;
        var rows = source.Shape[0];
        var rowBytes = source.ByteLength / rows;
        var headDim = rows / heads;
        var half = headDim / 2;
        for (long h = 0; h < heads; h++)
            for (long i = 0; i < half; i++)
                for (long j = 0; j < 2; j++)
                    Buffer.MemoryCopy(source.Data + (h * headDim + j * half + i) * rowBytes, target + (h * headDim + i * 2 + j) * rowBytes, rowBytes, rowBytes);
    }

    // Head h's rows of kv_b [heads · (nope + value), rank]: its nope key rows transposed into [rank, nope], or its value rows as they are.
    private unsafe void SplitKvB(StoredTensor source, bool key, byte* target)
    {
        int heads = _options.HeadCount, nope = _options.HeadDim - _options.Mla!.RopeDim, vd = _options.ValueDim, rank = _options.Mla.KvLoraRank;
        var size = source.ByteLength / source.ElementCount;
        for (long h = 0; h < heads; h++)
        {
            var head = source.Data + h * (nope + vd) * rank * size;
            if (!key)
            {
                Buffer.MemoryCopy(head + nope * rank * size, target + h * vd * rank * size, vd * rank * size, vd * rank * size);
                continue;
            }
            for (long c = 0; c < nope; c++)
                for (long r = 0; r < rank; r++)
                    Buffer.MemoryCopy(head + (c * rank + r) * size, target + ((h * rank + r) * nope + c) * size, size, size);
        }
    }

    private static unsafe void Transpose(StoredTensor source, byte* target)
    {
        long rows = source.Shape[0], cols = source.Shape[1];
        var size = source.ByteLength / (rows * cols);
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                Buffer.MemoryCopy(source.Data + (r * cols + c) * size, target + (c * rows + r) * size, size, size);
    }

    /// <inheritdoc />
    public void Dispose() => _tensors.Dispose();
}
