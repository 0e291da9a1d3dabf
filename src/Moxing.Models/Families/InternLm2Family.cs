using Moxing.Core.Formats.Gguf;
using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// InternLM2 / 2.5 (HF `internlm2`, GGUF `internlm2`): Llama's computation under its own names (tok_embeddings,
/// attention.wo, feed_forward.w1/w3/w2, attention_norm, ffn_norm, output), with q, k and v fused into one wqkv stored per
/// key/value group (its query heads, then its key and value head) — split here into q, k and v as convert_hf_to_gguf.py does.
/// </summary>
public sealed class InternLm2Family : IDecoderFamily
{
    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["internlm2"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["internlm2"];

    // The checkpoint's fused projection; Q/K/V below are its parts, computed at load (DerivedHfTensors).
    private const string Wqkv = "model.layers.{i}.attention.wqkv.weight";

    /// <inheritdoc />
    public DecoderTensorNames HfNames { get; } = new()
    {
        BasePrefix = "model.",
        Embedding = "model.tok_embeddings.weight",
        AttentionNorm = "model.layers.{i}.attention_norm.weight",
        Q = "model.layers.{i}.attention.wq.weight",
        K = "model.layers.{i}.attention.wk.weight",
        V = "model.layers.{i}.attention.wv.weight",
        O = "model.layers.{i}.attention.wo.weight",
        MlpNorm = "model.layers.{i}.ffn_norm.weight",
        Gate = "model.layers.{i}.feed_forward.w1.weight",
        Up = "model.layers.{i}.feed_forward.w3.weight",
        Down = "model.layers.{i}.feed_forward.w2.weight",
        FinalNorm = "model.norm.weight",
        Output = "output.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig c)
    {
        if (c.GetBool("bias", false)) throw c.Error("bias", "is true; InternLM2 with biased projections is not supported (llama.cpp's internlm2 has none)");
        return c.Common("internlm2");
    }

    // InternLM2Model permutes the split q and k rows for llama.cpp's interleaved rotation.
    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => new GgufHyperParameters(file).Common(RopeStyle.Interleaved);

    /// <inheritdoc />
    public IReadOnlyList<DerivedTensor> DerivedHfTensors(ITensorSource tensors, DecoderOptions options, string path) =>
        [.. GroupedQkv.Split(new PrefixedTensors(tensors, HfNames.BasePrefix), Wqkv, HfNames, options, path, grouped: true)];
}
