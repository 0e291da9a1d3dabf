namespace Moxing.Core;

/// <summary>An error the user can cause (bad file, bad argument, unknown model); its message is shown as is.</summary>
public class MoxingException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A model or data file that cannot be read: names the file and what is wrong with it.</summary>
public sealed class InvalidModelFileException(string path, string problem, Exception? inner = null)
    : MoxingException($"{path}: {problem}", inner)
{
    /// <summary>The file that failed to read.</summary>
    public string FilePath { get; } = path;
}
