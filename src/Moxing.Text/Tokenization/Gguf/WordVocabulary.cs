namespace Moxing.Text.Tokenization.Gguf;

/// <summary>
/// A synthetic SentencePiece vocabulary ("llama" in GGUF) of printable ASCII words with a ChatML template, for models with
/// random weights: every token a model can sample decodes to valid UTF-8 text (there are no byte tokens above 0x7F and
/// no partial characters), so any server's output parser accepts what such a model says. Pieces are the ASCII bytes
/// (byte fallback for control characters), every printable character with and without the word-start mark ▁, then
/// lowercase letter strings of growing length, each with and without ▁, until the vocabulary is full; every string is
/// one character longer than a piece that precedes it, so score-ordered merging can reach it.
/// </summary>
public static class WordVocabulary
{
    /// <summary>The ChatML template the vocabulary's control tokens serve.</summary>
    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private const char WordStart = '\u2581';
    private static readonly string[] Special = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"];

    /// <summary>The smallest vocabulary that holds the special, byte and character pieces.</summary>
    public static int MinimumSize { get; } = Special.Length + 128 + 2 * ('~' - ' ' + 1);

    /// <summary>
    /// The tokenizer.ggml.* keys (and the chat template) of a vocabulary of exactly <paramref name="size"/> tokens, with
    /// <paramref name="control"/> control tokens after the ChatML ones (a vision model's image tokens).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, object>> Metadata(int size, IReadOnlyList<string>? control = null)
    {
        if (size < MinimumSize + (control?.Count ?? 0))
            throw new TokenizerException($"a word vocabulary needs at least {MinimumSize} tokens; the model has {size}");
        var tokens = new List<string>(size);
        var types = new List<int>(size);
        void Add(string token, int type)
        {
            if (tokens.Count < size)
            {
                tokens.Add(token);
                types.Add(type);
            }
        }
        foreach (var s in Special) Add(s, s == "<unk>" ? GgufTokenType.Unknown : GgufTokenType.Control);
        foreach (var s in control ?? []) Add(s, GgufTokenType.Control);
        for (var b = 0; b < 128; b++) Add($"<0x{b:X2}>", GgufTokenType.Byte);
        for (var c = ' '; c <= '~'; c++)
        {
            Add(c == ' ' ? "\n" : c.ToString(), GgufTokenType.Normal);
            Add(c == ' ' ? WordStart.ToString() : WordStart + c.ToString(), GgufTokenType.Normal);
        }
        for (var length = 2; tokens.Count < size; length++)
            foreach (var word in Words(length))
            {
                if (tokens.Count >= size) break;
                Add(word, GgufTokenType.Normal);
                Add(WordStart + word, GgufTokenType.Normal);
            }
        // highest score merges first: shorter pieces, made earlier, win
        var scores = new float[size];
        for (var i = 0; i < size; i++) scores[i] = -i;
        return
        [
            new("tokenizer.ggml.model", "llama"),
            new("tokenizer.ggml.pre", "default"),
            new("tokenizer.ggml.tokens", tokens.ToArray()),
            new("tokenizer.ggml.scores", scores),
            new("tokenizer.ggml.token_type", types.ToArray()),
            new("tokenizer.ggml.unknown_token_id", 0u),
            new("tokenizer.ggml.bos_token_id", 1u),
            new("tokenizer.ggml.eos_token_id", 4u),
            new("tokenizer.ggml.padding_token_id", 0u),
            new("tokenizer.ggml.add_bos_token", false),
            new("tokenizer.ggml.add_eos_token", false),
            new("tokenizer.chat_template", ChatTemplate),
        ];
    }

    // Every lowercase string of the length, in order: "aa", "ab", … "zz".
    private static IEnumerable<string> Words(int length)
    {
        var letters = new char[length];
        Array.Fill(letters, 'a');
        while (true)
        {
            yield return new string(letters);
            var i = length - 1;
            while (i >= 0 && letters[i] == 'z') letters[i--] = 'a';
            if (i < 0) yield break;
            letters[i]++;
        }
    }
}
