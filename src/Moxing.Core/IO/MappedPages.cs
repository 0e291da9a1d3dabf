using System.Runtime.InteropServices;

namespace Moxing.Core.IO;

/// <summary>Advice to the operating system about pages of a read-only file mapping: read them ahead, or hand them back.</summary>
public static unsafe partial class MappedPages
{
    private const int WillNeed = 3; // MADV_WILLNEED
    private const int DontNeed = 4; // MADV_DONTNEED

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
        if (!OperatingSystem.IsLinux()) return;
        // only the whole pages inside the range: a neighbour's bytes on a shared page stay resident
        nint page = Environment.SystemPageSize;
        var start = ((nint)p + page - 1) & ~(page - 1);
        var end = ((nint)p + (nint)bytes) & ~(page - 1);
        if (bytes > 0 && end > start) _ = Madvise(start, (nuint)(end - start), DontNeed);
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
