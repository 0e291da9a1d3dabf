using Moxing.Core.Kernels;

namespace Moxing.Core.Tests.Kernels;

public sealed class CpuTopologyTests
{
    [Fact]
    public void SmtSiblingsCountAsOneCore()
    {
        var root = Directory.CreateTempSubdirectory("moxing-cpu-").FullName;
        try
        {
            // Four logical CPUs, two per core, one package: two physical cores.
            for (var cpu = 0; cpu < 4; cpu++)
            {
                var topology = Directory.CreateDirectory(Path.Combine(root, $"cpu{cpu}", "topology")).FullName;
                File.WriteAllText(Path.Combine(topology, "core_id"), (cpu % 2).ToString());
                File.WriteAllText(Path.Combine(topology, "physical_package_id"), "0");
            }
            Directory.CreateDirectory(Path.Combine(root, "cpufreq"));
            Assert.Equal(Math.Min(2, Environment.ProcessorCount), CpuTopology.Count(root));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void UnknownTopologyFallsBackToLogicalProcessors()
    {
        Assert.Equal(Environment.ProcessorCount, CpuTopology.Count("/nonexistent-sysfs"));
        Assert.InRange(CpuTopology.PhysicalCores, 1, Environment.ProcessorCount);
    }
}
