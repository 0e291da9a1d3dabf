using System.Diagnostics;

namespace Moxing.Cli.Tests.Edge;

/// <summary>The NativeAOT `moxing` published with the edge-linux-x64 profile, built once per test output folder.</summary>
public sealed class EdgeBinary
{
    /// <summary>Full path of the published executable.</summary>
    public string Path { get; }

    /// <summary>Seconds the publish took (0 when a cached binary was reused).</summary>
    public double PublishSeconds { get; }

    public EdgeBinary()
    {
        var outDir = System.IO.Path.Combine(AppContext.BaseDirectory, "edge-aot");
        Path = System.IO.Path.Combine(outDir, "moxing");
        // A binary older than any of the product's assemblies in the test build (moxing.dll and the libraries under it, which
        // change without it) is stale.
        var newest = Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Where(f => System.IO.Path.GetFileName(f).StartsWith("moxing", StringComparison.OrdinalIgnoreCase) && !f.EndsWith(".Tests.dll", StringComparison.Ordinal))
            .Max(File.GetLastWriteTimeUtc);
        if (File.Exists(Path) && File.GetLastWriteTimeUtc(Path) > newest) return;
        var repo = Directory.GetParent(Moxing.Tests.Fixtures.Root)!.Parent!.FullName;
        var project = System.IO.Path.Combine(repo, "src", "Moxing.Cli", "Moxing.Cli.csproj");
        var watch = Stopwatch.StartNew();
        var (code, output) = Run("dotnet", ["publish", project, "-p:PublishProfile=edge-linux-x64", "-o", outDir], TimeSpan.FromMinutes(25));
        PublishSeconds = watch.Elapsed.TotalSeconds;
        Assert.True(code == 0 && File.Exists(Path), "dotnet publish of the edge binary failed:\n" + Tail(output));
    }

    /// <summary>Runs a program to completion (killed after <paramref name="limit"/>), returning its exit code and stdout+stderr.</summary>
    public static (int Code, string Output) Run(string program, IEnumerable<string> args, TimeSpan limit, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {limit}\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];
}
