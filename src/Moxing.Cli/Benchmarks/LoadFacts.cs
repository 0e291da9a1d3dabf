namespace Moxing.Cli.Benchmarks;

/// <summary>How long loading took and the process's resident memory after loading and after the tests.</summary>
internal sealed record LoadFacts(TimeSpan Time, long ResidentAfterLoad)
{
    public long ResidentAfterRun { get; init; } = ResidentAfterLoad;

    /// <summary>Resident set size (anonymous + file-backed pages, so mapped weights count) from /proc; the GC's working set elsewhere.</summary>
    public static long ResidentBytes()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status)) return Environment.WorkingSet;
        foreach (var line in File.ReadLines(status))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return Environment.WorkingSet;
    }
}
