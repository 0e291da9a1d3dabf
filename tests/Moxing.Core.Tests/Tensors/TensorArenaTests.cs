using Moxing.Core.IO;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Tensors;

public sealed unsafe class TensorArenaTests
{
    [Fact]
    public void Small_tensors_share_slabs_aligned_and_apart()
    {
        using var arena = new TensorArena();
        var sizes = new long[] { 1, 63, 64, 1000, 4096, 300_000, 1_500_000, 7, 2_000_000, 100 };
        var blocks = new List<(nint Start, long Bytes)>();
        for (var round = 0; round < 6; round++)
            foreach (var bytes in sizes)
            {
                var p = arena.Allocate(bytes);
                Assert.Equal(0, (nint)p % 64);
                new Span<byte>(p, checked((int)bytes)).Fill((byte)blocks.Count);
                blocks.Add(((nint)p, bytes));
            }
        // every tensor still holds what was written into it: none overlaps another
        for (var i = 0; i < blocks.Count; i++)
            Assert.True(new ReadOnlySpan<byte>((byte*)blocks[i].Start, checked((int)blocks[i].Bytes)).IndexOfAnyExcept((byte)i) < 0);
    }

    [Fact]
    public void A_large_tensor_is_huge_page_aligned_and_advised_to_use_huge_pages()
    {
        using var arena = new TensorArena();
        var bytes = 3L * MappedPages.HugePageBytes + 12345;
        var p = arena.Allocate(bytes);
        Assert.Equal(0, (nint)p % MappedPages.HugePageBytes);
        new Span<byte>(p, checked((int)bytes)).Fill(1);
        if (!OperatingSystem.IsLinux()) return;
        // the kernel marks an advised range "hg" in the VmFlags of the mapping that holds it
        Assert.Contains("hg", VmFlags((nint)p + MappedPages.HugePageBytes));
    }

    [Fact]
    public void Arenas_allocate_again_after_dispose()
    {
        var arena = new TensorArena();
        var t = arena.AllocateF32("t", 3, 5);
        Assert.Equal(60, t.ByteLength);
        arena.Dispose();
        var p = arena.Allocate(100);
        p[99] = 7;
        Assert.Equal(7, p[99]);
        arena.Dispose();
    }

    // The VmFlags of the mapping of this process that holds address a (/proc/self/smaps).
    private static string[] VmFlags(nint a)
    {
        var inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var dash = line.IndexOf('-');
            var space = line.IndexOf(' ');
            if (dash > 0 && space > dash && ulong.TryParse(line[..dash], System.Globalization.NumberStyles.HexNumber, null, out var start)
                && ulong.TryParse(line[(dash + 1)..space], System.Globalization.NumberStyles.HexNumber, null, out var end))
                inside = (ulong)a >= start && (ulong)a < end;
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        throw new InvalidOperationException("no mapping holds the address");
    }
}
