namespace Moxing.Core.Formats.HuggingFace;

/// <summary>Token ids and sampling defaults from a <c>generation_config.json</c>; values the file does not set are null.</summary>
public sealed record GenerationConfig
{
    /// <summary>Tokens that end generation (<c>eos_token_id</c>, one id or a list); empty when unset.</summary>
    public int[] EosTokenIds { get; init; } = [];

    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }

    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; init; }

    /// <summary><c>do_sample</c>: false means greedy decoding.</summary>
    public bool? DoSample { get; init; }

    /// <summary><c>temperature</c>.</summary>
    public float? Temperature { get; init; }

    /// <summary><c>top_k</c>.</summary>
    public int? TopK { get; init; }

    /// <summary><c>top_p</c>.</summary>
    public float? TopP { get; init; }

    /// <summary><c>min_p</c>.</summary>
    public float? MinP { get; init; }

    /// <summary><c>repetition_penalty</c>.</summary>
    public float? RepetitionPenalty { get; init; }

    /// <summary><c>max_new_tokens</c>.</summary>
    public int? MaxNewTokens { get; init; }

    /// <summary><c>max_length</c> (prompt plus generated tokens).</summary>
    public int? MaxLength { get; init; }

    /// <summary>Reads <paramref name="path"/>.</summary>
    public static GenerationConfig Load(string path) => From(HfConfig.Load(path));

    /// <summary>Reads the generation settings of a parsed config (a generation_config.json, or a config.json that carries them).</summary>
    public static GenerationConfig From(HfConfig config) => new()
    {
        EosTokenIds = config.GetIntList("eos_token_id"),
        BosTokenId = config.TryGetInt("bos_token_id", out var bos) ? bos : null,
        PadTokenId = config.TryGetInt("pad_token_id", out var pad) ? pad : null,
        DoSample = config.TryGetBool("do_sample", out var sample) ? sample : null,
        Temperature = config.TryGetFloat("temperature", out var temperature) ? temperature : null,
        TopK = config.TryGetInt("top_k", out var topK) ? topK : null,
        TopP = config.TryGetFloat("top_p", out var topP) ? topP : null,
        MinP = config.TryGetFloat("min_p", out var minP) ? minP : null,
        RepetitionPenalty = config.TryGetFloat("repetition_penalty", out var penalty) ? penalty : null,
        MaxNewTokens = config.TryGetInt("max_new_tokens", out var maxNew) ? maxNew : null,
        MaxLength = config.TryGetInt("max_length", out var maxLength) ? maxLength : null,
    };
}
