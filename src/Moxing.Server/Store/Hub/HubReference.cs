using Moxing.Core;

namespace Moxing.Server.Store.Hub;

/// <summary>A model on the Hugging Face Hub: <c>hf:ORG/REPO[:FILE.gguf | :QUANT]</c> (also <c>hf.co/ORG/REPO…</c>).</summary>
/// <param name="Repository">ORG/REPO as the Hub spells it.</param>
/// <param name="Selector">FILE.gguf or a quantization such as Q4_K_M, or null.</param>
public sealed record HubReference(string Repository, string? Selector)
{
    private static readonly string[] Prefixes = ["hf:", "hf.co/", "huggingface.co/", "https://huggingface.co/"];

    /// <summary>True when <paramref name="text"/> starts like a Hub reference (hf:, hf.co/, huggingface.co/).</summary>
    public static bool IsHubReference(string text) => Prefixes.Any(p => text.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a reference, or throws naming what is wrong.</summary>
    public static HubReference Parse(string text)
    {
        var prefix = Prefixes.FirstOrDefault(p => text.StartsWith(p, StringComparison.OrdinalIgnoreCase))
                     ?? throw Invalid(text, "it must start with hf: (or hf.co/)");
        var rest = text[prefix.Length..];
        var colon = rest.IndexOf(':');
        var repository = colon < 0 ? rest : rest[..colon];
        var selector = colon < 0 ? null : rest[(colon + 1)..];
        var parts = repository.Split('/');
        if (parts.Length != 2) throw Invalid(text, "expected ORG/REPO after the prefix");
        foreach (var part in parts)
            if (!IsRepoPart(part)) throw Invalid(text, $"'{part}' is not a valid Hub name (letters, digits, '.', '_', '-'; up to 96 characters; not starting with '.' or '-')");
        if (selector is { Length: 0 }) throw Invalid(text, "nothing after ':' (expected FILE.gguf or a quantization like Q4_K_M)");
        if (selector != null && ModelFilePath.Problem(selector) is { } problem) throw Invalid(text, problem);
        return new HubReference(repository, selector);
    }

    /// <summary>True when the selector names a file (ends in .gguf) rather than a quantization.</summary>
    public bool SelectsFile => Selector != null && Selector.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    /// <summary>The store name a pull gives by default: org/repo, tagged with the quantization or file name (else latest).</summary>
    public ModelName DefaultName()
    {
        var tag = Selector == null ? ModelName.DefaultTag
            : ModelName.Sanitize(SelectsFile ? Path.GetFileNameWithoutExtension(Selector.Split('/')[^1]) : Selector);
        var parts = Repository.Split('/');
        return ModelName.Parse($"{ModelName.Sanitize(parts[0])}/{ModelName.Sanitize(parts[1])}:{(tag.Length == 0 ? ModelName.DefaultTag : tag)}");
    }

    /// <summary>hf:ORG/REPO[:SELECTOR].</summary>
    public override string ToString() => Selector == null ? $"hf:{Repository}" : $"hf:{Repository}:{Selector}";

    private static bool IsRepoPart(string s)
    {
        if (s.Length is 0 or > 96 || s[0] is '.' or '-') return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')) return false;
        return true;
    }

    private static MoxingException Invalid(string text, string problem) =>
        new($"invalid Hugging Face reference '{text}': {problem} (expected hf:ORG/REPO[:FILE.gguf | :QUANT])");
}
