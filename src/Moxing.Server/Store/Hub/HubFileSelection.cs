using System.Text.RegularExpressions;
using Moxing.Core;
using Moxing.Models;

namespace Moxing.Server.Store.Hub;

/// <summary>Which files of a Hub repository a pull takes: one GGUF (by file name or quantization) or a transformers model's files.</summary>
public static partial class HubFileSelection
{
    /// <summary>The format and files to download; for a sharded transformers model the last file is the index whose shards follow.</summary>
    public static (ModelFormat Format, List<HubFile> Files) Select(HubReference reference, HubRepository repository)
    {
        var ggufs = repository.Files.Where(f => IsGguf(f.Path)).ToList();
        if (reference.SelectsFile)
        {
            var file = ggufs.FirstOrDefault(f => string.Equals(f.Path, reference.Selector, StringComparison.OrdinalIgnoreCase))
                       ?? ggufs.FirstOrDefault(f => string.Equals(FileName(f.Path), reference.Selector, StringComparison.OrdinalIgnoreCase))
                       ?? throw Choice(reference, $"has no file '{reference.Selector}'", ggufs);
            return (ModelFormat.Gguf, [Single(reference, file)]);
        }
        var models = ggufs.Where(f => !FileName(f.Path).StartsWith("mmproj", StringComparison.OrdinalIgnoreCase)).ToList();
        if (reference.Selector != null)
        {
            if (models.Count == 0) throw new MoxingException($"{reference}: the repository has no GGUF files, so ':{reference.Selector}' selects nothing; pull it without a suffix");
            var matches = models.Where(f => FileName(f.Path).Contains(reference.Selector, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count > 1)
            {
                // Q4_K matches Q4_K_M and Q4_K_S: prefer a whole-word match when there is exactly one.
                var whole = matches.Where(f => IsWholeWord(FileName(f.Path), reference.Selector)).ToList();
                if (whole.Count == 1) matches = whole;
            }
            return matches.Count switch
            {
                1 => (ModelFormat.Gguf, [Single(reference, matches[0])]),
                0 => throw Choice(reference, $"has no GGUF file matching '{reference.Selector}'", models),
                _ => throw Choice(reference, $"has {matches.Count} GGUF files matching '{reference.Selector}'", matches),
            };
        }
        if (models.Count == 1) return (ModelFormat.Gguf, [Single(reference, models[0])]);
        if (models.Count > 1) throw Choice(reference, $"has {models.Count} GGUF files", models);
        var paths = repository.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        if (!HfModelFiles.IsModel(paths))
            throw new MoxingException($"{reference}: the repository has neither a GGUF file nor a transformers model (config.json with model.safetensors or its index)");
        return (ModelFormat.HuggingFace, HfModelFiles.Select(paths, reference.ToString()).Select(p => repository.Find(p)!).ToList());
    }

    /// <summary>
    /// The repository's vision projector (llama.cpp's mmproj*.gguf) to pull beside a GGUF model: the F16 one when there are several
    /// (as llama.cpp's -hf does), else BF16, F32, then the first by name; null when it has none.
    /// </summary>
    public static HubFile? Projector(HubRepository repository)
    {
        var projectors = repository.Files.Where(f => IsGguf(f.Path) && FileName(f.Path).StartsWith("mmproj", StringComparison.OrdinalIgnoreCase))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        foreach (var type in new[] { "f16", "bf16", "f32" })
            if (projectors.FirstOrDefault(f => IsWholeWord(FileName(f.Path)[..^5], type)) is { } preferred) return preferred;
        return projectors.FirstOrDefault();
    }

    private static bool IsGguf(string path) => path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);

    private static string FileName(string path) => path[(path.LastIndexOf('/') + 1)..];

    private static HubFile Single(HubReference reference, HubFile file) =>
        SplitPart().IsMatch(file.Path)
            ? throw new MoxingException($"{reference}: '{file.Path}' is one part of a split GGUF; split GGUF files are not supported, choose a single-file quantization")
            : file;

    private static bool IsWholeWord(string name, string word)
    {
        for (var at = name.IndexOf(word, StringComparison.OrdinalIgnoreCase); at >= 0; at = name.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            var end = at + word.Length;
            if ((at == 0 || !char.IsAsciiLetterOrDigit(name[at - 1])) && (end == name.Length || !(char.IsAsciiLetterOrDigit(name[end]) || name[end] == '_')))
                return true;
        }
        return false;
    }

    private static MoxingException Choice(HubReference reference, string problem, List<HubFile> files) =>
        new($"{reference}: the repository {problem}; choose one with :QUANT or :FILE.gguf from: " +
            (files.Count == 0 ? "(no GGUF files)" : string.Join(", ", files.Select(f => f.Path))));

    [GeneratedRegex(@"-\d{5}-of-\d{5}\.gguf$", RegexOptions.IgnoreCase)]
    private static partial Regex SplitPart();
}
