namespace Moxing.Server;

/// <summary>Where Moxing keeps its state: $MOXING_HOME, else ~/.moxing.</summary>
public static class MoxingHome
{
    /// <summary>The home folder (not created).</summary>
    public static string Resolve() =>
        Environment.GetEnvironmentVariable("MOXING_HOME") is { Length: > 0 } home
            ? Path.GetFullPath(home)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".moxing");
}
