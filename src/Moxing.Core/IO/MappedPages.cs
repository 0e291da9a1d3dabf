using System.Runtime.InteropServices;

namespace Moxing.Core.IO;

/// <summary>Hands pages of a read-only file mapping back to the operating system.</summary>
internal static unsafe partial class MappedPages
{
    private const int DontNeed = 4; // MADV_DONTNEED

    /// <summary>
    /// Drops the whole pages within [<paramref name="p"/>, <paramref name="p"/> + <paramref name="bytes"/>) of a read-only file
    /// mapping from this process's resident set (Linux; elsewhere nothing): the page cache keeps them, and a later read faults
    /// them back in. Never for anonymous memory, whose pages it would zero.
    /// </summary>
    public static void Release(byte* p, long bytes)
    {
        if (!OperatingSystem.IsLinux() || bytes <= 0) return;
        nint page = Environment.SystemPageSize;
        var start = ((nint)p + page - 1) & ~(page - 1);
        var end = ((nint)p + (nint)bytes) & ~(page - 1);
        if (end > start) _ = Madvise(start, (nuint)(end - start), DontNeed);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint address, nuint length, int advice);
}
