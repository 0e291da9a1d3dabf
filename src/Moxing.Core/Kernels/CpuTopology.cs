namespace Moxing.Core.Kernels;

/// <summary>How many physical cores the process can use: SMT siblings share one core's FMA units, so kernels gain nothing from them.</summary>
public static class CpuTopology
{
    /// <summary>Physical cores (distinct package/core pairs in Linux sysfs), capped by the logical processors available; the logical count elsewhere.</summary>
    public static int PhysicalCores { get; } = Count("/sys/devices/system/cpu");

    /// <summary>Counts the distinct (package, core) pairs under a sysfs cpu folder; falls back to the logical count when it cannot tell.</summary>
    internal static int Count(string sysfsCpuFolder)
    {
        var logical = Environment.ProcessorCount;
        try
        {
            if (!Directory.Exists(sysfsCpuFolder)) return logical;
            var cores = new HashSet<(string, string)>();
            foreach (var cpu in Directory.EnumerateDirectories(sysfsCpuFolder, "cpu*"))
            {
                var name = Path.GetFileName(cpu);
                if (name.Length <= 3 || !name[3..].All(char.IsAsciiDigit)) continue;
                var topology = Path.Combine(cpu, "topology");
                var core = Path.Combine(topology, "core_id");
                var package = Path.Combine(topology, "physical_package_id");
                if (!File.Exists(core)) continue;
                cores.Add((File.Exists(package) ? File.ReadAllText(package).Trim() : "0", File.ReadAllText(core).Trim()));
            }
            return cores.Count == 0 ? logical : Math.Clamp(cores.Count, 1, logical);
        }
        catch (IOException) { return logical; }
        catch (UnauthorizedAccessException) { return logical; }
    }
}
