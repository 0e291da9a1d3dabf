using System.Runtime.InteropServices;

namespace Moxing.Core.IO;

/// <summary>Advice to the operating system about mapped pages: read a file's ahead, hand them back, or back memory with huge pages.</summary>
public static unsafe partial class MappedPages
{
    private const int WillNeed = 3; // MADV_WILLNEED
    private const int DontNeed = 4; // MADV_DONTNEED
    private const int HugePage = 14; // MADV_HUGEPAGE

    /// <summary>
    /// Asks the kernel to start reading the pages of [<paramref name="p"/>, <paramref name="p"/> + <paramref name="bytes"/>) into
    /// the page cache in the background (Linux; elsewhere nothing), so that a first touch finds them there instead of waiting
    /// on the disk page by page. Returns at once; the pages join this process's resident set only when touched.
    /// </summary>
    public static void Prefetch(byte* p, long bytes)
    {
        if (OperatingSystem.IsLinux()) Advise(p, bytes, WillNeed);
    }

    /// <summary>
    /// Drops the whole pages within [<paramref name="p"/>, <paramref name="p"/> + <paramref name="bytes"/>) of a read-only file
    /// mapping from this process's resident set (Linux; elsewhere nothing): the page cache keeps them, and a later read faults
    /// them back in. Never for anonymous memory, whose pages it would zero.
    /// </summary>
    public static void Release(byte* p, long bytes)
    {
        // only the whole pages inside the range: a neighbour's bytes on a shared page stay resident
        if (OperatingSystem.IsLinux()) AdviseWhole(p, bytes, Environment.SystemPageSize, DontNeed);
    }

    /// <summary>
    /// Asks the kernel to back the whole 2 MiB pages within [<paramref name="p"/>, <paramref name="p"/> + <paramref name="bytes"/>)
    /// of anonymous memory with transparent huge pages (Linux; elsewhere nothing) — streaming reads of weights then miss the
    /// TLB 512 times less often. A part of the range outside whole huge pages keeps small pages, so nothing is committed
    /// beyond it; the advice is ignored where huge pages are off.
    /// </summary>
    public static void PreferHugePages(byte* p, long bytes)
    {
        if (OperatingSystem.IsLinux()) AdviseWhole(p, bytes, HugePageBytes, HugePage);
    }

    /// <summary>The size of a transparent huge page on x64 and most ARM64 kernels.</summary>
    public const int HugePageBytes = 2 << 20;

    // Only the whole units (a power of two) of the range: none when it holds no whole one.
    private static void AdviseWhole(byte* p, long bytes, nint unit, int advice)
    {
        var start = ((nint)p + unit - 1) & ~(unit - 1);
        var end = ((nint)p + (nint)bytes) & ~(unit - 1);
        if (bytes > 0 && end > start) _ = Madvise(start, (nuint)(end - start), advice);
    }

    // Every page the range touches (madvise wants a page-aligned start).
    private static void Advise(byte* p, long bytes, int advice)
    {
        if (bytes <= 0) return;
        nint page = Environment.SystemPageSize;
        var start = (nint)p & ~(page - 1);
        _ = Madvise(start, (nuint)((nint)p + (nint)bytes - start), advice);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
