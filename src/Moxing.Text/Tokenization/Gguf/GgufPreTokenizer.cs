namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// How llama.cpp splits text for a byte-level BPE vocabulary, by tokenizer.ggml.pre (llama-vocab.cpp): the
/// split regexes (applied one after the other) and the flags that go with them. Where llama.cpp rewrote a
/// Hugging Face regex for its own engine, the Hugging Face original is used.
/// </summary>
/// <param name="Patterns">Split regexes, each isolating its matches.</param>
/// <param name="IgnoreMerges">Words that are tokens are emitted whole.</param>
/// <param name="AddBos">Whether BOS is added by default.</param>
/// <param name="CleanSpaces">Whether decoding cleans up spaces (clean_up_tokenization_spaces).</param>
/// <param name="Nfc">Whether the Hugging Face tokenizer normalizes to NFC first.</param>
internal sealed record GgufPreTokenizer(string[] Patterns, bool IgnoreMerges = false, bool AddBos = false, bool CleanSpaces = true,
    bool Nfc = false)
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private const string Llama3 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen35 = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Gpt4o = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Tekken = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Bloom = @" ?[^(\s|.,!?…。，、।۔،)]+";
    private const string DeepSeekV3Words = @"[!""#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string DeepSeekLatin = @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";

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
        Add(new([@"\d{1,3}(?=(?:\d{3})*\b)", Gpt4o], CleanSpaces: false), "tiny_aya", "cohere2moe");
        Add(new([@"\p{N}+", @"(?=(\d{3})+(?!\d))"], CleanSpaces: false), "superbpe");
        Add(new([@"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"], CleanSpaces: false),
            "bailingmoe", "bailingmoe2", "llada-moe");
        Add(new([@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"],
            CleanSpaces: false), "seed-coder");
        Add(new([@"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+"]),
            "exaone-moe");
        Add(new([@"[^\n]+|[\n]+", Qwen2], CleanSpaces: false), "laguna");
        Add(new([@"\p{N}{1,3}", @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
            IgnoreMerges: true), "minicpm5");
        return table;
    }
}
