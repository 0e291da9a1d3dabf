using Moxing.Text.Tokenization.Patterns;

namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// How llama.cpp splits text for a byte-level BPE vocabulary, by tokenizer.ggml.pre (llama-vocab.cpp): the
/// split regexes (applied one after the other) and the flags that go with them. Where llama.cpp rewrote a
/// Hugging Face regex for its own engine, the Hugging Face original is used; where it wrote custom splitting code
/// (AFMoE's digit groups, Kimi-K2's Han exclusion), an equivalent regex is.
/// </summary>
/// <param name="Patterns">Split regexes, each isolating its matches.</param>
/// <param name="IgnoreMerges">Words that are tokens are emitted whole.</param>
/// <param name="AddBos">Whether BOS is added by default.</param>
/// <param name="CleanSpaces">Whether decoding cleans up spaces (clean_up_tokenization_spaces).</param>
/// <param name="Nfc">Whether the Hugging Face tokenizer normalizes to NFC first.</param>
/// <param name="ByteLevel">Whether tokens spell bytes GPT-2 style; otherwise they are raw UTF-8 with &lt;0xXX&gt; byte fallback.</param>
/// <param name="EscapeSpaces">Whether spaces are written U+2581 before splitting (SentencePiece-style BPE).</param>
/// <param name="Gemma4">Gemma 4's quirks: BOS always added, a run of newlines that is a token emitted whole.</param>
internal sealed record GgufPreTokenizer(string[] Patterns, bool IgnoreMerges = false, bool AddBos = false, bool CleanSpaces = true,
    bool Nfc = false, bool ByteLevel = true, bool EscapeSpaces = false, bool Gemma4 = false)
{
    /// <summary>The name llama.cpp uses whatever tokenizer.ggml.pre says when tokenizer.ggml.model is "gemma4".</summary>
    public const string Gemma4Name = "gemma4";

    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen35 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt4o = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Tekken = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Bloom = @" ?[^(\s|.,!?…。，、।۔،)]+";
    private const string DeepSeekV3Words = @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string DeepSeekLatin = @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

    private const string Jais2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1}";
    private const string YoutuCjk = "[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+";
    private const string Youtu = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    // llama.cpp's \p{AFMoE_digits} code: a digit run split into a leading 1–2 (its length mod 3) and then threes.
    private const string AfmoeDigits = @"\p{N}{1,3}(?=(?:\p{N}{3})*(?!\p{N}))";
    // llama.cpp's class as its source spells it: 豈 there is U+8C48, so one range runs 8C48–FAFF. Astral text reaches the
    // regex as BMP category stand-ins (OnigRegex), most of which lie in that range; they are excluded so that astral
    // symbols stay outside the class as in llama.cpp (the few BMP characters used as stand-ins fall outside with them).
    private static readonly string AfmoeCjk =
        $"(?:(?![{OnigRegex.StandIns}])[\u4E00-\u9FFF\u3400-\u4DBF\u8C48-\uFAFF\u3040-\u309F\u30A0-\u30FF\uFF65-\uFF9F\u2F00-\u2FDF\u0E40-\u0E7F\u0E80-\u0EFF\u1780-\u17FF\u1000-\u109F\uAA60-\uAA7F\uA9E0-\uA9FF\uAC00-\uD7AF\u1100-\u11FF])+";
    // Kimi-K2's \p{Han} and [... && [^\p{Han}]] over llama.cpp's unicode_cpt_is_han ranges (BMP part: astral text is
    // matched by category stand-ins, so astral Han extensions count as letters).
    private const string Han = @"[\x{3400}-\x{4DBF}\x{4E00}-\x{9FFF}\x{F900}-\x{FAFF}]";
    private const string KimiK2 = Han + @"+|[^\r\n\p{L}\p{N}]?(?:(?!" + Han + @")[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}])*(?:(?!" + Han
        + @")[\p{Ll}\p{Lm}\p{Lo}\p{M}])+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?(?:(?!" + Han
        + @")[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}])+(?:(?!" + Han
        + @")[\p{Ll}\p{Lm}\p{Lo}\p{M}])*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Lines = @"[^\n]+|[\n]+";

    private static readonly Dictionary<string, GgufPreTokenizer> ByName = Build();

    /// <summary>Every tokenizer.ggml.pre value Moxing knows, in the table's order.</summary>
    public static IEnumerable<string> Names => ByName.Keys;

    /// <summary>The pre-tokenizer for a tokenizer.ggml.pre value, or null when Moxing does not know it.</summary>
    public static GgufPreTokenizer? For(string name) => ByName.GetValueOrDefault(name);

    private static Dictionary<string, GgufPreTokenizer> Build()
    {
        var table = new Dictionary<string, GgufPreTokenizer>(StringComparer.Ordinal);
        void Add(GgufPreTokenizer pre, params string[] names)
        {
            foreach (string name in names) table[name] = pre;
        }
        Add(new([@"[\p{P}\$\+<=>\^~\|]+", Gpt2, @"\p{N}+", "[0-9][0-9][0-9]"]), "default");
        Add(new([Llama3], IgnoreMerges: true, AddBos: true), "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
            "midm-2.0", "lfm2", "jina-v5-nano");
        Add(new([Llama3]), "dbrx", "smaug-bpe");
        Add(new([Llama3]), "glm4", "chatglm-bpe");
        Add(new([@"[\r\n]", DeepSeekLatin, @"\s?[!-/:-~！-／：-～‘-‟　-。]+", @"\s+$", "[一-龥ࠀ-一가-퟿]+", @"\p{N}+"], CleanSpaces: false),
            "deepseek-llm");
        Add(new([@"[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", "[一-龥ࠀ-一가-퟿]+", @"\p{N}"], CleanSpaces: false), "deepseek-coder");
        Add(new([@"\p{N}{1,3}", "[一-龥぀-ゟ゠-ヿ]+", DeepSeekV3Words], CleanSpaces: false), "deepseek-v3", "hunyuan-dense", "joyai-llm");
        Add(new([@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"]), "falcon");
        Add(new([Gpt2]), "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
            "modern-bert", "mpt", "olmo", "jais", "exaone4", "jina-v1-en", "jina-v2-code", "roberta-bpe");
        Add(new([Gpt2], CleanSpaces: false), "trillion", "granite-docling");
        Add(new([@"\p{N}", Gpt2]), "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2");
        Add(new([@"\p{N}", Gpt2], CleanSpaces: false), "command-r", "smollm");
        Add(new([Qwen2], CleanSpaces: false, Nfc: true), "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2");
        Add(new([Qwen2], Nfc: true), "megrez", "stablelm2");
        Add(new([Qwen2], CleanSpaces: false), "hunyuan", "solar-open", "grok-2");
        Add(new([Qwen35], CleanSpaces: false, Nfc: true), "qwen35");
        Add(new([Bloom], CleanSpaces: false), "poro-chat");
        Add(new([Bloom]), "bloom", "gpt3-finnish");
        Add(new([Bloom, @"\p{N}"], CleanSpaces: false), "viking");
        Add(new([Tekken], IgnoreMerges: true, AddBos: true, CleanSpaces: false), "tekken");
        Add(new(["<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", @"\p{N}", @"[\p{P}!-/:-@\[-`{-~]",
            @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"], AddBos: true, CleanSpaces: false), "chameleon");
        Add(new([Gpt4o], CleanSpaces: false), "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2");
        Add(new([Gpt4o], IgnoreMerges: true, CleanSpaces: false), "granite-embed-multi-97m");
        Add(new([@"\d{1,3}(?=(?:\d{3})*\b)", Gpt4o], CleanSpaces: false), "tiny_aya", "cohere2moe");
        Add(new([@"\p{N}+", @"(?=(\d{3})+(?!\d))"], CleanSpaces: false), "superbpe");
        Add(new([@"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"], CleanSpaces: false),
            "bailingmoe", "bailingmoe2", "llada-moe");
        Add(new([@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"],
            CleanSpaces: false), "seed-coder");
        Add(new([@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+"]),
            "exaone-moe");
        Add(new([Lines, Qwen2], CleanSpaces: false), "laguna");
        Add(new([@"\p{N}{1,3}", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
            IgnoreMerges: true), "minicpm5");
        Add(new([Jais2]), "jais-2");
        Add(new([YoutuCjk, Youtu], IgnoreMerges: true, CleanSpaces: false), "youtu");
        Add(new([AfmoeDigits, AfmoeCjk, DeepSeekV3Words], CleanSpaces: false), "afmoe");
        Add(new([KimiK2], CleanSpaces: false), "kimi-k2");
        Add(new([@"\S+"], ByteLevel: false), "whitespace");
        Add(new([Lines], AddBos: true, ByteLevel: false, EscapeSpaces: true, Gemma4: true), Gemma4Name, "granite-embed-multi-311m");
        Add(new([Lines], CleanSpaces: false, ByteLevel: false, EscapeSpaces: true), "sarvam-moe");
        return table;
    }
}
