namespace Moxing.Tests;

/// <summary>Locates the reference fixtures copied into tests/fixtures.</summary>
internal static class Fixtures
{
    /// <summary>The tests/fixtures folder, found by walking up from the test binary.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under tests/fixtures.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/fixtures not found above " + AppContext.BaseDirectory);
    }
}
