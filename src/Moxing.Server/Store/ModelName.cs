using System.Text;
using Moxing.Core;

namespace Moxing.Server.Store;

/// <summary>A stored model's name and tag (<c>name[:tag]</c>, tag <c>latest</c> by default), lower-cased so matching ignores case.</summary>
public readonly record struct ModelName
{
    /// <summary>The tag a name without one gets.</summary>
    public const string DefaultTag = "latest";

    private const int MaxNameLength = 200;
    private const int MaxSegmentLength = 80;
    private const int MaxSegments = 4;
    private const int MaxTagLength = 128;

    private ModelName(string name, string tag)
    {
        Name = name;
        Tag = tag;
    }

    /// <summary>The name: one to four '/'-separated segments of a-z 0-9 . _ - , each starting with a letter or digit.</summary>
    public string Name { get; }

    /// <summary>The tag: a-z 0-9 . _ - , starting with a letter, digit or '_'.</summary>
    public string Tag { get; }

    /// <summary>Parses <c>name[:tag]</c>, or throws <see cref="InvalidModelNameException"/> saying what rule it breaks.</summary>
    public static ModelName Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var colon = trimmed.LastIndexOf(':');
        var hasTag = colon >= 0;
        var name = (hasTag ? trimmed[..colon] : trimmed).ToLowerInvariant();
        var tag = hasTag ? trimmed[(colon + 1)..].ToLowerInvariant() : DefaultTag;
        if (NameProblem(name) is { } nameProblem) throw new InvalidModelNameException(text, nameProblem);
        if (TagProblem(tag) is { } tagProblem) throw new InvalidModelNameException(text, tagProblem);
        return new ModelName(name, tag);
    }

    /// <summary>Parses <c>name[:tag]</c>, returning false (and a default) for an invalid name.</summary>
    public static bool TryParse(string text, out ModelName name)
    {
        try
        {
            name = Parse(text);
            return true;
        }
        catch (InvalidModelNameException)
        {
            name = default;
            return false;
        }
    }

    /// <summary>A valid name made from free text (a file or repository name): lower-cased, other characters replaced by '-'.</summary>
    public static string Sanitize(string text)
    {
        var b = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
            b.Append(IsNameChar(c) ? c : '-');
        var s = b.ToString().TrimStart('.', '_', '-');
        return s.Length > MaxSegmentLength ? s[..MaxSegmentLength] : s;
    }

    /// <summary>The name with the tag after a ':' (<c>qwen2.5:latest</c>).</summary>
    public override string ToString() => $"{Name}:{Tag}";

    /// <summary>True when two names, valid or not, denote the same model (<c>x</c> and <c>X:latest</c> do).</summary>
    public static bool SameModel(string a, string b) =>
        string.Equals(WithTag(a), WithTag(b), StringComparison.OrdinalIgnoreCase);

    /// <summary>A name, valid or not, with its tag made explicit (a ':' after the last '/' marks one).</summary>
    public static string WithTag(string name)
    {
        var slash = name.LastIndexOf('/');
        return name.IndexOf(':', slash + 1) >= 0 ? name : name + ":" + DefaultTag;
    }

    private static bool IsNameChar(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-';

    private static bool IsAlphanumeric(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');

    private static string? NameProblem(string name)
    {
        if (name.Length == 0) return "the name is empty";
        if (name.Length > MaxNameLength) return $"the name is longer than {MaxNameLength} characters";
        var segments = name.Split('/');
        if (segments.Length > MaxSegments) return $"the name has more than {MaxSegments} '/'-separated parts";
        foreach (var segment in segments)
        {
            if (segment.Length == 0) return "the name has an empty part between '/'";
            if (segment.Length > MaxSegmentLength) return $"the name part '{segment}' is longer than {MaxSegmentLength} characters";
            if (!IsAlphanumeric(segment[0])) return $"the name part '{segment}' must start with a letter or digit";
            foreach (var c in segment)
                if (!IsNameChar(c)) return $"the name may contain only letters, digits, '.', '_', '-' and '/', not '{c}'";
        }
        return null;
    }

    private static string? TagProblem(string tag)
    {
        if (tag.Length == 0) return "the tag after ':' is empty";
        if (tag.Length > MaxTagLength) return $"the tag is longer than {MaxTagLength} characters";
        if (!IsAlphanumeric(tag[0]) && tag[0] != '_') return $"the tag '{tag}' must start with a letter, digit or '_'";
        foreach (var c in tag)
            if (!IsNameChar(c)) return $"the tag may contain only letters, digits, '.', '_' and '-', not '{c}'";
        return null;
    }
}

/// <summary>A model name that breaks the naming rules; says which rule.</summary>
public sealed class InvalidModelNameException(string name, string problem)
    : MoxingException($"invalid model name '{name}': {problem} (expected name[:tag], e.g. qwen2.5-0.5b:q4_k_m)");

/// <summary>No model of that name is in the store.</summary>
public sealed class ModelNotFoundException(string name)
    : MoxingException($"model '{name}' not found in the store (see `moxing list`; add one with `moxing pull` or `moxing import`)")
{
    /// <summary>The name that was asked for.</summary>
    public string ModelName { get; } = name;
}
