using Moxing.Models.Families;

namespace Moxing.Models;

/// <summary>Every architecture Moxing runs, looked up by HF `model_type` or GGUF `general.architecture`.</summary>
public static class ModelRegistry
{
    /// <summary>The decoder families.</summary>
    public static IReadOnlyList<IDecoderFamily> DecoderFamilies { get; } =
        [new LlamaFamily(), new QwenFamily(), new Phi3Family(), new Gemma2Family(), new Gemma3Family(), new Gemma4Family(), new Gemma3nFamily(), new Gpt2Family(), new MixtralFamily(), new OlmoeFamily(), new GptOssFamily(),
         new GraniteFamily(), new Olmo2Family(), new GemmaFamily(), new Phi2Family(),
        new StarCoder2Family(),
        new FalconFamily(), new ExaoneFamily(), new SmolLm3Family(), new InternLm2Family(), new CohereFamily(), new Cohere2Family(), new StableLmFamily(),
         new GraniteMoeFamily(), new PhiMoeFamily(),
        new Glm4Family(), new ChatGlmFamily(), new NemotronFamily(), new OlmoFamily(), new MiniCpmFamily(),
         new Ernie45Family(), new Ernie45MoeFamily(), new Llama4Family(), new DeepSeekFamily(),
         new SeedOssFamily(), new Exaone4Family(), new HunyuanDenseFamily(), new ArceeFamily(), new Mistral3Family(), new ApertusFamily(),
         new Glm4MoeFamily(), new Dots1Family(), new HunyuanMoeFamily(), new BailingMoeFamily(), new BailingMoeV2Family(),
         new Lfm2Family(), new GraniteHybridFamily(), new Mamba2Family(), new MambaFamily(), new JambaFamily(), new Lfm2MoeFamily(), new NemotronHFamily(), new FalconH1Family(),
         new Qwen3NextFamily(), new Qwen35Family(), new Qwen2VlFamily(),
         new GptNeoXFamily(), new BloomFamily(), new MptFamily(), new GptBigCodeFamily()];

    /// <summary>Encoder model types (HF model_type).</summary>
    public static IReadOnlyList<string> EncoderTypes => Encoder.EncoderConfigs.HfTypes;

    /// <summary>Encoder GGUF architectures (general.architecture).</summary>
    public static IReadOnlyList<string> EncoderGgufArchitectures => Encoder.EncoderConfigs.GgufArchitectures;

    /// <summary>All supported GGUF architectures, for error messages.</summary>
    public static string SupportedGgufList =>
        string.Join(", ", DecoderFamilies.SelectMany(f => f.GgufArchitectures).Concat(EncoderGgufArchitectures).Distinct().Order());

    /// <summary>All supported names, for error messages.</summary>
    public static string SupportedList =>
        string.Join(", ", DecoderFamilies.SelectMany(f => f.ModelTypes).Concat(EncoderTypes).Distinct().Order());

    /// <summary>The decoder family reading HF model_type <paramref name="modelType"/>, or null.</summary>
    public static IDecoderFamily? ForModelType(string modelType) => DecoderFamilies.FirstOrDefault(f => f.ModelTypes.Contains(modelType));

    /// <summary>The decoder family reading GGUF architecture <paramref name="architecture"/>, or null.</summary>
    public static IDecoderFamily? ForGgufArchitecture(string architecture) =>
        DecoderFamilies.FirstOrDefault(f => f.GgufArchitectures.Contains(architecture));
}
