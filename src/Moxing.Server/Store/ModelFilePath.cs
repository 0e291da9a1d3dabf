namespace Moxing.Server.Store;

/// <summary>Rules for the path of a file inside a model (from a manifest, a Hub listing or a weight map: untrusted input).</summary>
public static class ModelFilePath
{
    /// <summary>Why <paramref name="path"/> is not a safe relative path ('/'-separated, no '..', '.', empty or rooted parts), or null when it is.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "the file path is empty";
        if (path.Length > 400) return $"the file path '{path[..40]}…' is longer than 400 characters";
        if (path.Contains('\\') || path.Contains(':') || path.Contains('\0')) return $"the file path '{path}' contains '\\', ':' or NUL";
        foreach (var part in path.Split('/'))
            if (part is "" or "." or "..") return $"the file path '{path}' has an empty, '.' or '..' part";
        return null;
    }

    /// <summary>The full path of <paramref name="relative"/> under <paramref name="folder"/>.</summary>
    public static string Under(string folder, string relative) =>
        Path.Combine(folder, relative.Replace('/', Path.DirectorySeparatorChar));
}
