using Moxing.Core.Formats.HuggingFace;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Ops;
using Moxing.Models.Decoder;

namespace Moxing.Models.Families;

/// <summary>
/// Hunyuan dense (HF `hunyuan_v1_dense`, GGUF `hunyuan-dense`; Hunyuan-0.5B..7B-Instruct): Llama with a per-head RMSNorm of queries
/// and keys applied after RoPE (query_layernorm, key_layernorm), heads of head_dim, and NTK-alpha RoPE: rope_scaling of type
/// dynamic with an alpha rotates by base · alpha^(d / (d − 2)) (transformers' HunYuanDenseV1RotaryEmbedding; llama.cpp's converter
/// writes that base, and llama.cpp scales a base by `rope.scaling.alpha` when the key is set).
/// </summary>
public sealed class HunyuanDenseFamily : IDecoderFamily
{
    // HunYuanDenseV1Config's defaults where the shared reader's differ.
    private const string Defaults = """{"rms_norm_eps": 1e-5}""";

    /// <inheritdoc />
    public IReadOnlyList<string> ModelTypes { get; } = ["hunyuan_v1_dense"];

    /// <inheritdoc />
    public IReadOnlyList<string> GgufArchitectures { get; } = ["hunyuan-dense"];

    /// <inheritdoc />
    public DecoderTensorNames HfNames => QkNormHfNames;

    /// <summary>HF names with Hunyuan's q/k norms (query_layernorm, key_layernorm), which Hunyuan MoE shares.</summary>
    internal static DecoderTensorNames QkNormHfNames { get; } = DecoderTensorNames.HuggingFace with
    {
        QNorm = "model.layers.{i}.self_attn.query_layernorm.weight",
        KNorm = "model.layers.{i}.self_attn.key_layernorm.weight",
    };

    /// <inheritdoc />
    public DecoderTensorNames GgufNames => DecoderTensorNames.Gguf;

    /// <inheritdoc />
    public DecoderOptions FromHf(HfConfig config) => Hunyuan(config.WithDefaults(Defaults), "hunyuan_v1_dense");

    /// <summary>
    /// The options Hunyuan dense and Hunyuan MoE share from <paramref name="c"/>: q/k norms after RoPE, the activation, and a dynamic
    /// rope_scaling with an alpha as its NTK-alpha base.
    /// </summary>
    internal static DecoderOptions Hunyuan(HfConfig c, string architecture)
    {
        var o = Hunyuan(c.Common(architecture)) with { Activation = HfActivation.Read(c, "hidden_act", "silu") };
        var section = c.TryGetSection("rope_parameters", out var parameters) ? parameters : c.TryGetSection("rope_scaling", out var scaling) ? scaling : null;
        if (o.Rope is not { Scaling: RopeScaling.DynamicNtk } rope || section == null || !section.TryGetDouble("alpha", out var alpha)) return o;
        if (!(alpha > 0)) throw section.Error("alpha", $"is {alpha}; it must be positive");
        return o with { Rope = rope with { Theta = AlphaBase(rope.Theta, alpha, o.HeadDim), Scaling = RopeScaling.Default, Factor = 1 } };
    }

    /// <inheritdoc />
    public DecoderOptions FromGguf(GgufFile file) => Hunyuan(new GgufHyperParameters(file));

    /// <summary>The options hunyuan-dense and hunyuan-moe GGUFs share: q/k norms after RoPE, a base scaled by `rope.scaling.alpha` when set.</summary>
    internal static DecoderOptions Hunyuan(GgufHyperParameters p)
    {
        var o = Hunyuan(p.Common(RopeStyle.Half));
        var alpha = p.Float("rope.scaling.alpha", 0);
        return alpha > 0 ? o with { Rope = o.Rope! with { Theta = AlphaBase(o.Rope.Theta, alpha, o.HeadDim) } } : o;
    }

    /// <summary>The NTK-alpha base: <paramref name="theta"/> · alpha^(d / (d − 2)) for heads of <paramref name="headDim"/>.</summary>
    public static double AlphaBase(double theta, double alpha, int headDim) => theta * Math.Pow(alpha, (double)headDim / (headDim - 2));

    private static DecoderOptions Hunyuan(DecoderOptions o) => o with { QkNorm = true, QkNormAfterRope = true };
}
