using Moxing.Core;
using Moxing.Server.Store.Hub;

namespace Moxing.Server.Store.Registry;

/// <summary>
/// A model in an Ollama registry: <c>[ollama:][HOST/][NAMESPACE/]MODEL[:TAG]</c>, as <c>ollama pull</c> takes it (host
/// registry.ollama.ai, namespace library and tag latest by default), e.g. <c>qwen2.5:0.5b</c> or <c>someone/model:q4</c>.
/// </summary>
/// <param name="Host">The registry host the name gives, or null for the default registry.</param>
/// <param name="Namespace">The namespace (library for Ollama's own models).</param>
/// <param name="Model">The model.</param>
/// <param name="Tag">The tag.</param>
public sealed record OllamaReference(string? Host, string Namespace, string Model, string Tag)
{
    /// <summary>The prefix that makes a name explicitly an Ollama registry name.</summary>
    public const string Prefix = "ollama:";

    /// <summary>Ollama's registry host.</summary>
    public const string DefaultHost = "registry.ollama.ai";

    /// <summary>The namespace of Ollama's own models.</summary>
    public const string DefaultNamespace = "library";

    /// <summary>The environment variable naming a mirror of the default registry.</summary>
    public const string RegistryVariable = "MOXING_OLLAMA_REGISTRY";

    private const string Expected = "expected [HOST/][NAMESPACE/]MODEL[:TAG], e.g. qwen2.5:0.5b";

    /// <summary>Parses a name, or throws naming what is wrong.</summary>
    public static OllamaReference Parse(string text)
    {
        var rest = text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? text[Prefix.Length..] : text;
        rest = rest.Trim().ToLowerInvariant();
        var parts = rest.Split('/');
        if (parts.Length > 3) throw Invalid(text, $"it has {parts.Length} '/'-separated parts, at most 3");
        var last = parts[^1];
        var colon = last.IndexOf(':');
        var model = colon < 0 ? last : last[..colon];
        var tag = colon < 0 ? ModelName.DefaultTag : last[(colon + 1)..];
        var host = parts.Length == 3 ? parts[0] : null;
        var ns = parts.Length >= 2 ? parts[^2] : DefaultNamespace;
        if (host != null && !IsPart(host, ".:-")) throw Invalid(text, $"'{host}' is not a host name");
        if (!IsPart(ns, "_-")) throw Invalid(text, $"'{ns}' is not a namespace (letters, digits, '_', '-')");
        if (!IsPart(model, "._-")) throw Invalid(text, $"'{model}' is not a model name (letters, digits, '.', '_', '-')");
        if (!IsPart(tag, "._-", firstMayBeUnderscore: true))
            throw Invalid(text, tag.Length == 0 ? "nothing after ':'" : $"'{tag}' is not a tag (letters, digits, '.', '_', '-')");
        return new OllamaReference(host == DefaultHost ? null : host, ns, model, tag);
    }

    /// <summary>The name the store keeps, as Ollama shows it: <c>model:tag</c> for the library, <c>namespace/model:tag</c>, or with the host of another registry.</summary>
    public ModelName DefaultName()
    {
        var name = Host != null ? $"{Host}/{Namespace}/{Model}" : Namespace == DefaultNamespace ? Model : $"{Namespace}/{Model}";
        if (Host != null && Host.Contains(':'))
            throw new MoxingException($"{this}: a registry host with a port cannot be part of a model name; give the store name with --name");
        return ModelName.Parse($"{name}:{Tag}");
    }

    /// <summary>
    /// The registry to ask: <paramref name="endpoint"/> when given, else the name's own host (https), else $MOXING_OLLAMA_REGISTRY, else
    /// https://registry.ollama.ai.
    /// </summary>
    public Uri Registry(string? endpoint)
    {
        var variable = Environment.GetEnvironmentVariable(RegistryVariable);
        var text = endpoint ?? (Host != null ? "https://" + Host : string.IsNullOrEmpty(variable) ? "https://" + DefaultHost : variable);
        return PullOptions.ParseEndpoint(text, "Ollama registry");
    }

    /// <summary>The path of the manifest under the registry: <c>v2/NAMESPACE/MODEL/manifests/TAG</c>.</summary>
    public string ManifestPath => $"v2/{Namespace}/{Model}/manifests/{Tag}";

    /// <summary>The path of a blob under the registry: <c>v2/NAMESPACE/MODEL/blobs/DIGEST</c>.</summary>
    public string BlobPath(string digest) => $"v2/{Namespace}/{Model}/blobs/{digest}";

    /// <summary>ollama:[HOST/]NAMESPACE/MODEL:TAG.</summary>
    public override string ToString() => $"{Prefix}{(Host != null ? Host + "/" : "")}{Namespace}/{Model}:{Tag}";

    private static bool IsPart(string s, string punctuation, bool firstMayBeUnderscore = false)
    {
        if (s.Length is 0 or > 80 || !(char.IsAsciiLetterOrDigit(s[0]) || firstMayBeUnderscore && s[0] == '_')) return false;
        foreach (var c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || punctuation.Contains(c))) return false;
        return true;
    }

    private static MoxingException Invalid(string text, string problem) => new($"invalid Ollama model name '{text}': {problem} ({Expected})");
}
