namespace Moxing.Fuzz;

/// <summary>A per-process folder (in memory under /dev/shm where it exists) that file parsers read an input from.</summary>
public static class ScratchFile
{
    private static readonly string Folder = Create();

    /// <summary>Writes <paramref name="input"/> to <paramref name="name"/> in the scratch folder and returns its path.</summary>
    public static string Write(string name, byte[] input)
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllBytes(path, input);
        return path;
    }

    private static string Create()
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var folder = Directory.CreateDirectory(Path.Combine(root, $"moxing-fuzz-{Environment.ProcessId}")).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(folder, recursive: true);
        return folder;
    }
}
