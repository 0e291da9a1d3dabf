using Moxing.Server.Store;

namespace Moxing.Cli.Store;

/// <summary>The store options every store command shares (--home) and the MODEL argument that is a path or a stored name.</summary>
public static class StoreArguments
{
    /// <summary>Usage line of --home.</summary>
    public const string HomeUsage = "  --home DIR    the model store (default: $MOXING_HOME, else ~/.moxing)";

    /// <summary>The Moxing home --home names, or $MOXING_HOME, else ~/.moxing.</summary>
    public static string Home(Arguments args) => args.Option("home") is { } home ? Path.GetFullPath(home) : Server.MoxingHome.Resolve();

    /// <summary>Opens the store --home names, or the default one.</summary>
    public static ModelStore Open(Arguments args) => ModelStore.Open(args.Option("home"));

    /// <summary>
    /// What a loader opens for MODEL: an existing file or folder as is, else the stored model of that name (the store opened only then).
    /// Returns the path and, for a stored model, its entry.
    /// </summary>
    public static (string Path, StoreEntry? Entry) ResolveModel(string model, string? home)
    {
        if (File.Exists(model) || Directory.Exists(model)) return (model, null);
        if (!ModelName.TryParse(model, out var name))
            throw new Core.MoxingException($"{model}: no such model file or folder, and not a valid stored model name (name[:tag])");
        var entry = ModelStore.Open(home).TryResolve(name.ToString())
                    ?? throw new Core.MoxingException($"{model}: no such model file or folder, and no stored model '{name}' (see `moxing list`)");
        return (entry.ModelPath, entry);
    }
}
