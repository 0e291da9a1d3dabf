namespace Moxing.Server.Hosting;

/// <summary>The small model the repository ships, served when no model is configured so a fresh clone answers at once.</summary>
public static class ShippedModel
{
    /// <summary>Where it lives in the repository.</summary>
    public static readonly string RelativePath = Path.Combine("models", "names-gpt");

    /// <summary>The model folder, searched upward from the program and the working directory; null when this is not a checkout.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (File.Exists(Path.Combine(candidate, "config.json"))) return candidate;
            }
        return null;
    }
}
